/**
 * `airflow-secrets/env`: the environment-variable backend (one Kubernetes Secret read by Airflow's
 * `EnvironmentVariablesBackend`). A TypeScript program composing it on its own writes
 * `new EnvAirflowSecrets(name, resolveBackendOrThrow(envBackend, context, settings))`.
 */
export { backend as envBackend } from "./backend";
export { EnvAirflowSecrets, type EnvResolved } from "./envAirflowSecrets";
export type { EnvSecretShard } from "./shards";
export type { EnvBackendSettings, EnvBackendSettingsInput } from "./schema";
