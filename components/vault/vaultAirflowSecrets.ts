import * as pulumi from "@pulumi/pulumi";
import { SecretsPlan } from "../airflow";
import {
  outputsInState,
  type BackendComponent,
  type BackendDeployment,
  type ResolvedBackend,
} from "../backend";
import { VaultAuditDevice, VaultAuditDeviceArgs } from "./auditDevice";
import { VaultAwsAuthRole, VaultAwsAuthRoleArgs } from "./awsAuthRole";
import {
  VaultCiWriterRole,
  VaultCiWriterRoleArgs,
  VaultKubernetesAuthRole,
  VaultKubernetesAuthRoleArgs,
} from "./authRoles";
import { VaultDatabaseSecrets, VaultDatabaseSecretsArgs } from "./databaseSecrets";
import { VaultEnvironmentPolicies, VaultEnvironmentPoliciesArgs } from "./environmentPolicies";
import { VaultKvStore, VaultKvStoreArgs } from "./kvStore";

/** Everything `VaultAirflowSecrets` builds, resolved and checked by the Vault backend's `resolve`. */
export interface VaultResolved extends ResolvedBackend {
  environment: string;
  store: VaultKvStoreArgs;
  policies: VaultEnvironmentPoliciesArgs;
  /** Airflow's Kubernetes auth role; it carries the reader policy. Absent off Kubernetes. */
  kubernetesAuth?: Omit<VaultKubernetesAuthRoleArgs, "policies">;
  /** Off Kubernetes: Airflow's AWS IAM auth role, carrying the reader policy. */
  awsAuth?: Omit<VaultAwsAuthRoleArgs, "policies">;
  /** The CI's JWT role, when configured; it carries the writer policy. */
  ciWriter?: Omit<VaultCiWriterRoleArgs, "policies">;
  database?: VaultDatabaseSecretsArgs;
  audit?: VaultAuditDeviceArgs;
}

/** Who may do what: the environment's policies and the roles that carry them. */
export interface VaultAccess {
  policies: VaultEnvironmentPolicies;
  /** Absent off Kubernetes (`awsRole` instead). */
  kubernetesRole?: VaultKubernetesAuthRole;
  awsRole?: VaultAwsAuthRole;
  ciWriterRole?: VaultCiWriterRole;
}

/**
 * One environment's Airflow secrets in Vault: the KV v2 store Airflow's `VaultBackend` reads, the
 * reader and CI writer policies, Airflow's Kubernetes auth role, optionally the CI's JWT role, dynamic
 * database credentials and an audit device. Builds from `resolved` and never validates: get it from
 * the backend (`resolveBackendOrThrow(backend, context, settings)`). The Vault provider comes through
 * `opts.provider` / `opts.providers`.
 */
export class VaultAirflowSecrets extends pulumi.ComponentResource implements BackendComponent {
  readonly plan: SecretsPlan;
  readonly store: VaultKvStore;
  readonly access: VaultAccess;
  readonly database?: VaultDatabaseSecrets;
  readonly audit?: VaultAuditDevice;
  readonly deployment: BackendDeployment;

  constructor(name: string, resolved: VaultResolved, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:vault:VaultAirflowSecrets", name, {}, opts);
    // These children sat directly under the environment before this component existed: the alias
    // keeps their URNs (and their children's), so nothing deployed is replaced.
    const child: pulumi.ComponentResourceOptions = {
      parent: this,
      // The old parent by URN: an alias holding the Resource itself makes Pulumi walk the whole
      // resource graph behind it (looking for unknowns) once per child.
      ...(opts?.parent !== undefined ? { aliases: [{ parent: opts.parent.urn }] } : {}),
    };
    this.plan = resolved.plan;
    // Database roles first: their credential paths are in the reader policy.
    this.database = resolved.database
      ? new VaultDatabaseSecrets(`${name}-database`, resolved.database, child)
      : undefined;
    this.store = new VaultKvStore(`${name}-kv`, resolved.store, child);
    const policies = new VaultEnvironmentPolicies(`${name}-policies`, resolved.policies, child);
    const kubernetesRole = resolved.kubernetesAuth
      ? new VaultKubernetesAuthRole(
          `${name}-kubernetes`,
          { ...resolved.kubernetesAuth, policies: [policies.readerPolicyName] },
          child,
        )
      : undefined;
    const awsRole = resolved.awsAuth
      ? new VaultAwsAuthRole(
          `${name}-aws`,
          { ...resolved.awsAuth, policies: [policies.readerPolicyName] },
          child,
        )
      : undefined;
    const ciWriterRole = resolved.ciWriter
      ? new VaultCiWriterRole(
          `${name}-ci`,
          { ...resolved.ciWriter, policies: [policies.writerPolicyName] },
          child,
        )
      : undefined;
    this.access = {
      policies,
      ...(kubernetesRole ? { kubernetesRole } : {}),
      ...(awsRole ? { awsRole } : {}),
      ...(ciWriterRole ? { ciWriterRole } : {}),
    };
    this.audit = resolved.audit ? new VaultAuditDevice(`${name}-audit`, resolved.audit, child) : undefined;
    this.deployment = {
      airflowConfig: resolved.plan.airflowConfig,
      outputs: {
        vaultKvMount: this.store.mountPath,
        vaultSecretPaths: this.store.secretPaths,
        vaultReaderPolicy: policies.readerPolicyName,
        vaultWriterPolicy: policies.writerPolicyName,
        ...(kubernetesRole ? { vaultKubernetesRole: kubernetesRole.roleName } : {}),
        ...(awsRole ? { vaultAwsRole: awsRole.roleName } : {}),
        ...(ciWriterRole ? { vaultCiRole: ciWriterRole.roleName } : {}),
        ...(this.database ? { vaultDatabaseCredentialPaths: this.database.credentialPaths } : {}),
        ...(this.audit ? { vaultAuditDevice: this.audit.path } : {}),
      },
      // A path per secret: exported by the stack, kept out of component state.
      perDeclarationOutputs: ["vaultSecretPaths"],
    };
    this.registerOutputs(outputsInState(this.deployment));
  }
}
