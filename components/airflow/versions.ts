/**
 * The Airflow lines this library supports and every rule that depends on the line. `airflow.version`
 * picks one rule set; nothing else in the library branches on a version number.
 */
import { Problems } from "./problems";
import { SENSITIVE_OPTIONS_BY_LINE } from "./sensitiveOptions.generated";

/** Supported Airflow lines (`major.minor`); a patch release (`2.10.5`) belongs to its line. */
export const SUPPORTED_AIRFLOW_VERSIONS = ["2.10", "2.11", "3.0", "3.1"] as const;
export type AirflowLine = (typeof SUPPORTED_AIRFLOW_VERSIONS)[number];

/**
 * Provider packages whose backend classes this library writes for: any release installable with a
 * supported Airflow line (their lookup names, kwargs and JSON/URI reading are the same across those
 * releases; the README's fidelity table names what each one reads back exactly).
 */
export const SUPPORTED_PROVIDERS: Readonly<Record<string, string>> = {
  "apache-airflow-providers-amazon": "SecretsManagerBackend, SystemsManagerParameterStoreBackend",
  "apache-airflow-providers-hashicorp": "VaultBackend (KV v2)",
  "apache-airflow-providers-google": "CloudSecretManagerBackend",
  "apache-airflow-providers-microsoft-azure": "AzureKeyVaultBackend",
  "apache-airflow-providers-celery": "[celery] options (sensitive ones readable via {option}_secret)",
};

export interface AirflowVersionRules {
  line: AirflowLine;
  major: number;
  minor: number;
  /**
   * `sanitize_conn_id` matches `\w` ASCII-only: Airflow 2.x compiles RE_SANITIZE_CONN_ID with re2
   * (airflow/models/connection.py, 2.10); 3.x uses Python's Unicode-aware `re`
   * (airflow-core/src/airflow/models/connection.py). A non-matching id is read with conn_id=None.
   */
  asciiConnIds: boolean;
  /** Options whose `{option}_secret` form this line honours (generated from Airflow's config.yml). */
  sensitiveOptions: ReadonlySet<string>;
  /** Airflow 3 workers read `[workers] secrets_backend(_kwargs)` before `[secrets]`. */
  workersSecretsBackend: boolean;
}

export const AIRFLOW_VERSION_RULES: Readonly<Record<AirflowLine, AirflowVersionRules>> = Object.fromEntries(
  SUPPORTED_AIRFLOW_VERSIONS.map((line) => {
    const [major, minor] = line.split(".").map(Number);
    return [
      line,
      {
        line,
        major,
        minor,
        asciiConnIds: major < 3,
        sensitiveOptions: new Set<string>(SENSITIVE_OPTIONS_BY_LINE[line]),
        workersSecretsBackend: major >= 3,
      },
    ];
  }),
) as unknown as Record<AirflowLine, AirflowVersionRules>;

export function isSupportedAirflowLine(line: string): line is AirflowLine {
  return (SUPPORTED_AIRFLOW_VERSIONS as readonly string[]).includes(line);
}

export function airflowVersionRules(line: AirflowLine): AirflowVersionRules {
  return AIRFLOW_VERSION_RULES[line];
}

/** Options one line honours `{option}_secret` for, e.g. `sensitiveOptionsFor("3.1").has("core.fernet_key")`. */
export function sensitiveOptionsFor(line: AirflowLine): ReadonlySet<string> {
  return AIRFLOW_VERSION_RULES[line].sensitiveOptions;
}

/** The lines an option is sensitive in, for messages that say where it would work. */
export function linesWhereSensitive(option: string): AirflowLine[] {
  return SUPPORTED_AIRFLOW_VERSIONS.filter((line) =>
    AIRFLOW_VERSION_RULES[line].sensitiveOptions.has(option),
  );
}

const VERSION_PATTERN = /^(\d+)\.(\d+)(?:\.\d+)?$/;
const KNOWN = SUPPORTED_AIRFLOW_VERSIONS.map((v) => `"${v}"`).join(", ");

/**
 * Reads `airflow.version` into its line's rules, or records why not. A YAML number is refused: an
 * unquoted `version: 2.10` is read as 2.1.
 */
export function parseAirflowLine(
  version: unknown,
  problems: Problems,
  path = "airflow.version",
): AirflowVersionRules | undefined {
  if (typeof version === "number") {
    problems.add(
      path,
      `is the number ${version}, not a version string: YAML reads an unquoted version such as 2.10 as the number 2.1; quote it (version: "2.10"). Supported: ${KNOWN}`,
    );
    return undefined;
  }
  if (version === undefined || version === null || version === "") {
    problems.add(path, `is required: the Airflow version the deployment runs (supported: ${KNOWN})`);
    return undefined;
  }
  const match = typeof version === "string" ? VERSION_PATTERN.exec(version) : null;
  if (!match) {
    problems.add(path, `must be an Airflow version like "2.10" or "3.1" (supported: ${KNOWN})`);
    return undefined;
  }
  const line = `${Number(match[1])}.${Number(match[2])}`;
  if (!isSupportedAirflowLine(line)) {
    problems.add(path, `Airflow ${line} is not a supported version (supported: ${KNOWN})`);
    return undefined;
  }
  return AIRFLOW_VERSION_RULES[line];
}
