import { StackBackend } from "../stackBackend";
import { VaultAuditDevice } from "./auditDevice";
import { VaultCiWriterRole, VaultKubernetesAuthRole } from "./authRoles";
import { VaultDatabaseSecrets } from "./databaseSecrets";
import { VaultEnvironmentPolicies } from "./environmentPolicies";
import { VaultKvStore } from "./kvStore";
import { resolveVaultSettings } from "./settings";

/**
 * HashiCorp Vault (`airflow-secrets:vault` settings, see README): the KV v2 store Airflow's
 * `VaultBackend` reads, the environment's reader and CI writer policies, Airflow's Kubernetes auth
 * role, optionally the CI's JWT role, dynamic database credentials and an audit device.
 */
export const vaultStackBackend: StackBackend = {
  name: "vault",
  description: "HashiCorp Vault KV v2 (airflow.providers.hashicorp.secrets.vault.VaultBackend)",
  prepare(context, problems) {
    const resolved = resolveVaultSettings(context, problems);
    if (!resolved) return undefined;
    return {
      deploy(parent) {
        const env = context.environment;
        // Database roles first: their credential paths go into the reader policy.
        const database = resolved.database
          ? new VaultDatabaseSecrets(`${env}-vault-database`, resolved.database, { parent })
          : undefined;
        const store = new VaultKvStore(`${env}-vault-kv`, resolved.kv, { parent });
        const policies = new VaultEnvironmentPolicies(`${env}-vault-policies`, resolved.policies, { parent });
        const kubernetesRole = new VaultKubernetesAuthRole(
          `${env}-vault-kubernetes`,
          { ...resolved.kubernetesAuth, policies: [policies.readerPolicyName] },
          { parent },
        );
        const ciRole = resolved.ciWriter
          ? new VaultCiWriterRole(
              `${env}-vault-ci`,
              { ...resolved.ciWriter, policies: [policies.writerPolicyName] },
              { parent },
            )
          : undefined;
        const audit = resolved.audit
          ? new VaultAuditDevice(`${env}-vault-audit`, resolved.audit, { parent })
          : undefined;
        return {
          airflowConfig: store.plan.airflowConfig,
          outputs: {
            vaultKvMount: store.mountPath,
            vaultSecretPaths: store.secretPaths,
            vaultReaderPolicy: policies.readerPolicyName,
            vaultWriterPolicy: policies.writerPolicyName,
            vaultKubernetesRole: kubernetesRole.roleName,
            ...(ciRole ? { vaultCiRole: ciRole.roleName } : {}),
            ...(database ? { vaultDatabaseCredentialPaths: database.credentialPaths } : {}),
            ...(audit ? { vaultAuditDevice: audit.path } : {}),
          },
        };
      },
    };
  },
};
