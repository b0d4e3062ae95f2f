/**
 * The Azure Key Vault backend. Import submodules of @pulumi/azure-native only (loading the whole
 * package costs about a second).
 */
export * from "./naming";
export * from "./expiry";
export * from "./rbac";
export * from "./settings";
export * from "./keyVault";
export * from "./secretStore";
export * from "./access";
export * from "./diagnostics";
export * from "./rotation";
export * from "./airflowKeyVaultSecrets";
export { azureStackBackend } from "./stackBackend";
export type { KeyVaultSecret, KeyVaultSecretsClient, SetSecretOptions } from "./rotator/keyVaultClient";
export { KeyVaultRestClient, managedIdentityTokenProvider } from "./rotator/keyVaultClient";
export type { RotationConfig, RotatedSecretConfig } from "./rotator/config";
