/**
 * `airflow-secrets/airflow`: the Airflow contract as a user reads it — the declarations, where each
 * backend kind stores them (`backendProfile`), the plan of what is stored (`planSecrets`), Airflow's
 * configuration for it (`renderAirflowConfig`) and the connection encodings Airflow parses.
 *
 * Named exports only: what is listed here is the subpath's public API (api/airflow-secrets.api.md).
 * The folder's `index.ts` is its internal barrel, which the backend folders import by relative path
 * (validation helpers included); it is not a package entry point.
 */
export type {
  ConfigDeclaration,
  ConnectionDeclaration,
  RotationDeclaration,
  SecretKind,
  SecretsDeclarations,
  VariableDeclaration,
} from "./declarations";
export { type Problem, Problems, ValidationError } from "./problems";
export {
  BACKEND_KINDS,
  type BackendKind,
  type BackendProfile,
  backendProfile,
  type ConnectionFormat,
  type SecretsLayout,
} from "./backends";
export { type PlanArgs, type PlannedSecret, planSecrets, type SecretsPlan } from "./plan";
export {
  type AirflowConfig,
  type AirflowSettings,
  type AirflowVersion,
  type ConfigOption,
  type RenderInput,
  renderAirflowConfig,
} from "./airflowConfig";
export {
  AIRFLOW_CONNECTION_FIELDS,
  type AirflowConnectionField,
  connectionToJson,
  connectionToUri,
  type ResolvedConnection,
} from "./serialize";
export type { FernetSettings } from "./fernet";
export { type MwaaConfiguration, mwaaConfiguration } from "./mwaa";
export {
  type AirflowLine,
  type AirflowVersionRules,
  airflowVersionRules,
  SUPPORTED_AIRFLOW_VERSIONS,
} from "./versions";
