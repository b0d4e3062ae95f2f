/**
 * The Azure Key Vault backend. Import submodules of @pulumi/azure-native only (loading the whole
 * package costs about a second).
 *
 * A TypeScript program composing this backend on its own:
 *   new AzureAirflowSecrets("prod-azure", resolveBackendOrThrow(azureBackend, context, settings))
 */
export { backend as azureBackend } from "./backend";
export { AzureAirflowSecrets } from "./azureAirflowSecrets";
export type { AzureResolved } from "./azureAirflowSecrets";
export type { AzureSettingsSchemaInput, AzureParsedSettings } from "./schema";
export type {
  AzureBackendSettings,
  DiagnosticsSettings,
  NetworkDefaultAction,
  PrincipalType,
  PublicNetworkAccess,
  ResolvedAzureSettings,
  RotationPlan,
  RotationSettings,
  VaultSettings,
  VaultSku,
} from "./settings";
export { AirflowKeyVault } from "./keyVault";
export type { AirflowKeyVaultArgs } from "./keyVault";
export { KeyVaultSecretStore, rotatedSecretNames } from "./secretStore";
export type { KeyVaultSecretStoreArgs, RotatedSecretNames } from "./secretStore";
export { KeyVaultAccess } from "./access";
export type { KeyVaultAccessArgs, ScopedSecret } from "./access";
export { KeyVaultDiagnostics } from "./diagnostics";
export type { KeyVaultDiagnosticsArgs } from "./diagnostics";
export { KeyVaultRotation } from "./rotation";
export type { KeyVaultRotationArgs, RotatedSecretArgs } from "./rotation";
export { staticExpiry, initialRotatedExpiry } from "./expiry";
export type { ExpirySettings } from "./expiry";
