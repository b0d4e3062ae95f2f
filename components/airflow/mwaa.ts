/**
 * Amazon MWAA's form of the Airflow configuration: `AirflowConfigurationOptions`, a flat map of
 * `"section.option": "value"` that MWAA writes into the environment as `AIRFLOW__SECTION__OPTION`.
 * Pure: the rules below are MWAA's documented ones, checked on what `renderAirflowConfig` produced.
 *
 * MWAA's API (https://docs.aws.amazon.com/mwaa/latest/API/API_CreateEnvironment.html, read 2026-12):
 * keys are 1–64 characters matching `[a-z]+([a-z0-9._]*[a-z0-9_]+)?`; values are 1–65536 printable
 * ASCII characters (`[ -~]+`: no newline, nothing beyond ASCII).
 */
import type { AirflowConfig } from "./airflowConfig";

export const MWAA_KEY_PATTERN = /^[a-z]+([a-z0-9._]*[a-z0-9_]+)?$/;
export const MWAA_KEY_MAX_LENGTH = 64;
export const MWAA_VALUE_PATTERN = /^[ -~]+$/;
export const MWAA_VALUE_MAX_LENGTH = 65536;

/**
 * Options MWAA keeps for itself, left out of the map with the reason. MWAA generates and keeps each
 * environment's Fernet key (encrypted with the environment's KMS key) and gives no way to set
 * another, so `core.fernet_key_secret` would at best be ignored; Airflow on MWAA encrypts with
 * MWAA's key, while the key this library generates serves the targets that take one.
 */
export const MWAA_MANAGED_OPTIONS: Readonly<Record<string, string>> = {
  "core.fernet_key": "MWAA generates and keeps each environment's Fernet key itself",
  "core.fernet_key_secret": "MWAA generates and keeps each environment's Fernet key itself",
};

export interface MwaaConfiguration {
  /** `AirflowConfigurationOptions` for `aws.mwaa.Environment` (or the console), in section order. */
  options: Record<string, string>;
  /** What was left out and why (MWAA manages it). */
  omitted: Array<{ option: string; reason: string }>;
}

/**
 * The environment's Airflow options as MWAA takes them. An option MWAA cannot take (a managed one,
 * or a key or value outside its API's rules) is left out with the reason, never its value: the
 * same environment may serve Astronomer or Cloud Composer, which take what MWAA refuses.
 */
export function mwaaConfiguration(config: Pick<AirflowConfig, "options">): MwaaConfiguration {
  const options: Record<string, string> = {};
  const omitted: MwaaConfiguration["omitted"] = [];
  for (const { section, option, value } of config.options) {
    const key = `${section}.${option}`;
    const reason =
      MWAA_MANAGED_OPTIONS[key] ??
      (key.length > MWAA_KEY_MAX_LENGTH || !MWAA_KEY_PATTERN.test(key)
        ? `MWAA keys are at most ${MWAA_KEY_MAX_LENGTH} characters of lowercase letters, digits, . and _`
        : value.length > MWAA_VALUE_MAX_LENGTH || !MWAA_VALUE_PATTERN.test(value)
          ? `MWAA values are 1-${MWAA_VALUE_MAX_LENGTH} printable ASCII characters on one line`
          : undefined);
    if (reason === undefined) options[key] = value;
    else omitted.push({ option: key, reason });
  }
  return { options, omitted };
}
