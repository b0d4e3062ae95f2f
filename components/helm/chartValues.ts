/**
 * Values for the official Apache Airflow Helm chart (chart 1.x) that make Airflow read what this
 * library provisioned: the secrets-backend settings from the ConfigMap (and the env backend's Secret)
 * through `extraEnvFrom`, each component that looks secrets up running as a service account carrying
 * the identity (one shared, or one per component), the Fernet key from the backend instead of the chart's own Secret, and pod annotations
 * holding checksums of what the pods read at start, so a change rolls them. Pure: plain values in,
 * plain values out (the environment component applies it to resolved outputs).
 */
import { createHash } from "crypto";
import { AirflowComponent, IDENTITY_COMPONENTS } from "../kubernetes/serviceAccountNames";

export const CONFIG_CHECKSUM_ANNOTATION = "airflow-secrets/config-checksum";
export const SECRET_CHECKSUM_ANNOTATION = "airflow-secrets/secret-checksum";

export interface ChartValuesInput {
  /** Airflow's major version: the chart names the UI component `webserver` on 2 and `apiServer` on 3. */
  airflowMajor: 2 | 3;
  /** The ConfigMap of `AIRFLOW__*` variables this library writes. */
  configMapName: string;
  /** Its data, for the checksum. */
  configData: Record<string, string>;
  /** The env backend's Secrets of `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*` variables, when that is the backend. */
  envSecrets?: Array<{ name: string; data: Record<string, string> }>;
  /**
   * The service account each component that reads secrets runs as (`IDENTITY_COMPONENTS` of the
   * line), created by this library with the identity binding, never by the chart.
   */
  serviceAccounts: Partial<Record<AirflowComponent, string>>;
  /** The Fernet key is stored in the backend (read through `AIRFLOW__CORE__FERNET_KEY_SECRET`). */
  fernetFromBackend: boolean;
}

/**
 * A content checksum, as the chart itself annotates its own pods (`checksum/…`): SHA-256 over the
 * sorted entries, so it changes if and only if a name or a value changes.
 */
export function contentChecksum(data: Record<string, string>): string {
  const hash = createHash("sha256");
  // The same bytes as one update per entry, handed over in chunks (thousands of entries at scale).
  let chunk = "";
  for (const key of Object.keys(data).sort()) {
    chunk += `${key.length}:${key}=${data[key].length}:${data[key]}\n`;
    if (chunk.length >= 65536) {
      hash.update(chunk);
      chunk = "";
    }
  }
  return hash.update(chunk).digest("hex");
}

/** The chart's `extraEnvFrom`, a templated YAML string; names are single-quoted YAML scalars. */
function envFrom(configMapName: string, secretNames: readonly string[]): string {
  const quoted = (name: string) => `'${name.replace(/'/g, "''")}'`;
  const lines = [`- configMapRef:`, `    name: ${quoted(configMapName)}`];
  for (const secretName of secretNames) lines.push(`- secretRef:`, `    name: ${quoted(secretName)}`);
  return lines.join("\n") + "\n";
}

export function airflowChartValues(input: ChartValuesInput): Record<string, unknown> {
  const secrets = input.envSecrets ?? [];
  const values: Record<string, unknown> = {
    extraEnvFrom: envFrom(
      input.configMapName,
      secrets.map((s) => s.name),
    ),
    airflowPodAnnotations: {
      [CONFIG_CHECKSUM_ANNOTATION]: contentChecksum(input.configData),
      // Over every Secret's data at once: the variables the pods see, wherever each is stored.
      ...(secrets.length > 0
        ? {
            [SECRET_CHECKSUM_ANNOTATION]: contentChecksum(
              secrets.length === 1 ? secrets[0].data : Object.assign({}, ...secrets.map((s) => s.data)),
            ),
          }
        : {}),
    },
  };
  // Airflow reads AIRFLOW__CORE__FERNET_KEY before AIRFLOW__CORE__FERNET_KEY_SECRET: the chart's own
  // key would win over the backend's, so its variable is turned off.
  if (input.fernetFromBackend) values.enableBuiltInSecretEnvVars = { AIRFLOW__CORE__FERNET_KEY: false };
  for (const component of IDENTITY_COMPONENTS[input.airflowMajor]) {
    const name = input.serviceAccounts[component];
    if (name !== undefined) values[component] = { serviceAccount: { create: false, name } };
  }
  return values;
}
