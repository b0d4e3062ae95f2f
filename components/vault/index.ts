/**
 * `airflow-secrets/vault`: the Vault backend's public surface. A TypeScript program writes
 * `new VaultAirflowSecrets(name, resolveBackendOrThrow(vaultBackend, context, settings))`, or composes
 * the standalone components below.
 */
export { backend as vaultBackend } from "./backend";
export { VaultAirflowSecrets, type VaultAccess, type VaultResolved } from "./vaultAirflowSecrets";
export type { VaultBackendSettings, VaultBackendSettingsInput } from "./schema";
export { VaultKvStore, type VaultKvStoreArgs, type VaultKvLayout } from "./kvStore";
export { VaultEnvironmentPolicies, type VaultEnvironmentPoliciesArgs } from "./environmentPolicies";
export {
  environmentPolicyDocuments,
  type EnvironmentPoliciesInput,
  type EnvironmentPolicyDocuments,
} from "./airflowPolicies";
export {
  renderPolicyHcl,
  type VaultCapability,
  type VaultPolicyDocument,
  type VaultPolicyRule,
} from "./policyDocument";
export {
  VaultKubernetesAuthRole,
  VaultCiWriterRole,
  type VaultKubernetesAuthRoleArgs,
  type VaultCiWriterRoleArgs,
} from "./authRoles";
export { VaultAwsAuthRole, type VaultAwsAuthRoleArgs } from "./awsAuthRole";
export {
  VaultDatabaseSecrets,
  type VaultDatabaseSecretsArgs,
  type VaultDatabaseRoleSpec,
  type VaultStaticRoleSpec,
  type PostgresSslMode,
} from "./databaseSecrets";
export { VaultAuditDevice, type VaultAuditDeviceArgs, type VaultAuditType } from "./auditDevice";
