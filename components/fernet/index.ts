/**
 * `airflow-secrets/fernet`: Airflow's Fernet key as generations with a rotation window. Named exports
 * only: what is listed here is the subpath's public API (api/airflow-secrets.api.md).
 */
export { FernetKey, type FernetKeyArgs } from "./fernetKey";
export type { FernetSettings } from "../airflow/fernet";
