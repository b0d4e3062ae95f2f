// The GCP backend's public surface, named one by one: a change to it is a visible diff.
export { backend as gcpBackend } from "./backend";
export { GcpAirflowSecrets } from "./gcpAirflowSecrets";
export type { GcpResolved } from "./gcpAirflowSecrets";
export type { GcpBackendSettings, GcpAuditSinkType, ResolvedGcpSettings } from "./settings";
export type { GcpParsedSettings, GcpSettingsSchemaInput } from "./schema";
export { SecretManagerKeys } from "./kms";
export type { SecretManagerKeysArgs } from "./kms";
export { SecretManagerStore } from "./secretStore";
export type { SecretManagerStoreArgs, SecretRotationSchedule, StoredSecret } from "./secretStore";
export { SecretManagerAccess } from "./access";
export type { AccessTarget, SecretManagerAccessArgs } from "./access";
export { SecretManagerAudit } from "./audit";
export type { SecretManagerAuditArgs } from "./audit";
export { RotationTopic, SecretRotator } from "./rotation";
export type { RotatedSecret, RotationTopicArgs, SecretRotatorArgs } from "./rotation";
