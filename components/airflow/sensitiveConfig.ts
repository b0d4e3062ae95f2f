import { BackendKind } from "./backends";
import { ConfigDeclaration } from "./declarations";

/**
 * Options Airflow marks `sensitive` in its config schema: only these can be read from a secrets
 * backend as `{option}_secret`. `[secrets] backend_kwargs` is sensitive too but cannot come from
 * the backend it configures, so it is left out.
 */
export const SENSITIVE_CONFIG_OPTIONS: ReadonlySet<string> = new Set([
  "core.fernet_key",
  "core.internal_api_secret_key",
  "database.sql_alchemy_conn",
  "database.sql_alchemy_conn_async",
  "database.sql_alchemy_engine_args",
  "celery.broker_url",
  "celery.flower_basic_auth",
  "celery.result_backend",
  "celery_broker_transport_options.sentinel_kwargs",
  "webserver.secret_key",
  "api.secret_key",
  "api_auth.jwt_secret",
  "smtp.smtp_password",
  "sentry.sentry_dsn",
]);

/**
 * Sensitive options that exist in one major version only: Airflow 3 moved the webserver's secret to
 * `[api] secret_key`, added `[api_auth] jwt_secret` and dropped the internal API; on the other
 * version the `{option}_secret` reference would name an option Airflow never reads.
 */
export const SENSITIVE_OPTION_MAJOR_VERSION: Readonly<Record<string, number>> = {
  "webserver.secret_key": 2,
  "core.internal_api_secret_key": 2,
  "api.secret_key": 3,
  "api_auth.jwt_secret": 3,
};

/** `AIRFLOW__{SECTION}__{OPTION}` — Airflow's environment form of a config option. */
export function configEnvVar(section: string, option: string): string {
  return `AIRFLOW__${section.toUpperCase()}__${option.toUpperCase()}`;
}

/**
 * The id a config option is stored under. With the env-var backend the option is set directly
 * (`AIRFLOW__CORE__FERNET_KEY`), elsewhere it is looked up via `{option}_secret = key`.
 */
export function configKey(option: ConfigDeclaration, backend: BackendKind): string {
  if (backend === "env") return configEnvVar(option.section, option.option);
  return option.key ?? option.option;
}
