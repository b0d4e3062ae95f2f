import { BackendKind } from "./backends";
import { ConfigDeclaration } from "./declarations";
import { SENSITIVE_OPTIONS_BY_LINE } from "./sensitiveOptions.generated";

/**
 * Options some supported Airflow line marks `sensitive` (the union of the per-line tables in
 * `sensitiveOptions.generated.ts`); `AirflowVersionRules.sensitiveOptions` is what one line honours.
 */
export const SENSITIVE_CONFIG_OPTIONS: ReadonlySet<string> = new Set(
  Object.values(SENSITIVE_OPTIONS_BY_LINE).flatMap((options) => [...options]),
);

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
