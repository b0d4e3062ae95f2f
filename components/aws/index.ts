/**
 * `airflow-secrets/aws`: the AWS backend and the components a TypeScript program composes. Named
 * exports only: what is listed here is the package's surface; rules and helpers stay internal.
 */
export { backend as awsBackend } from "./backend";
export { AwsAirflowSecrets, type AwsResolved } from "./awsAirflowSecrets";
export type { AwsBackendSettings, AwsBackendSettingsInput } from "./schema";
export { SecretsAccessRoles, type SecretsAccessRolesArgs, type CiWriterSettings } from "./accessRoles";
export {
  WorkloadReaderIdentity,
  type WorkloadReaderIdentityArgs,
  type CrossAccountAccess,
  awsAccountProviders,
  type AwsAccountProviders,
  type AwsAccountsSettings,
} from "./accounts";
export { SecretsAuditTrail, type SecretsAuditTrailArgs, type ExistingTrail } from "./auditTrail";
export { SecretsKmsKey, type SecretsKmsKeyArgs, type ExistingSecretsKey } from "./secretsKey";
export { SecretsManagerStore, type SecretsManagerStoreArgs, type StoredSecret } from "./secretsManagerStore";
export { ParameterStore, type ParameterStoreArgs } from "./parameterStore";
export { SecretsManagerVpcEndpoint, type SecretsManagerVpcEndpointArgs } from "./vpcEndpoint";
export {
  SecretRotationLambda,
  type SecretRotationLambdaArgs,
  type RotatedSecret,
  type RotationSchedule,
} from "./rotationLambda";
export type { AwsAccountContext, SecretStoreKind } from "./policies";
/** The key policy `SecretsKmsKey` writes, for a program that brings its own key and wants the same. */
export { secretsKeyPolicy, type SecretsKeyPolicyArgs } from "./policies";
