/**
 * The env backend: connections, variables and config as `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*` /
 * `AIRFLOW__{SECTION}__{OPTION}` entries of one Kubernetes Secret (Airflow's
 * `EnvironmentVariablesBackend`). Parse (`schema.ts`) → resolve (here, pure) → build
 * (`EnvAirflowSecrets`).
 */
import { isKnown, PlanArgs, Problems, SecretsDeclarations, SecretsPlan } from "../airflow";
import type { AirflowSecretsBackend } from "../backend";
import { kubernetesLabels } from "../kubernetes/labels";
import { EnvAirflowSecrets, EnvResolved } from "./envAirflowSecrets";
import { settingsSchema } from "./schema";

/** The most a Kubernetes Secret holds (etcd's object limit). */
export const SECRET_MAX_BYTES = 1024 * 1024;

/** Kubernetes' rule for a label value (the Secret carries the owner as one). */
const KUBERNETES_LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** The bytes a value known now adds at least (encoding only adds: JSON quoting, percent-encoding). */
function knownBytes(value: unknown): number {
  if (!isKnown(value)) return 0;
  if (typeof value === "string") return Buffer.byteLength(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value).length;
  if (typeof value === "object" && value !== null)
    return Object.entries(value).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + knownBytes(v), 0);
  return 0;
}

/**
 * The Secret must fit in etcd's 1 MiB. Counted from the values known now (stack-file values are),
 * which the encoded Secret can only exceed, so a refusal here is certain to be the API server's too;
 * reported at the largest entry, the one to move elsewhere first.
 */
function checkSecretSize(plan: SecretsPlan, declarations: SecretsDeclarations, problems: Problems): void {
  const entries: Array<[path: string, bytes: number]> = [
    ...(declarations.connections ?? []).map((c): [string, number] => [
      `connections[${c.conn_id}]`,
      // Only what is stored: the id is the variable's name, rotation and description are not values.
      knownBytes({ ...c, conn_id: undefined, rotation: undefined, description: undefined }),
    ]),
    ...(declarations.variables ?? []).map((v): [string, number] => [
      `variables[${v.key}].value`,
      knownBytes(v.value),
    ]),
    ...(declarations.config ?? []).map((o): [string, number] => [
      `config[${o.section}.${o.option}].value`,
      knownBytes(o.value),
    ]),
  ];
  const names = plan.secrets.reduce((sum, s) => sum + Buffer.byteLength(s.name), 0);
  const total = entries.reduce((sum, [, bytes]) => sum + bytes, names);
  if (total <= SECRET_MAX_BYTES) return;
  const [largest, largestBytes] = entries.reduce((a, b) => (b[1] > a[1] ? b : a), ["connections", 0]);
  problems.add(
    largest,
    `the env backend's Kubernetes Secret would hold at least ${total} bytes (${largestBytes} of them here); Kubernetes allows ${SECRET_MAX_BYTES} (1 MiB): move large values to another backend`,
  );
}

export const backend: AirflowSecretsBackend<typeof settingsSchema, EnvResolved> = {
  name: "env",
  description: "Environment variables from a Kubernetes Secret (EnvironmentVariablesBackend)",
  settingsSchema,
  planArgs(context): PlanArgs {
    return {
      backend: "env",
      environment: context.environment,
      declarations: context.declarations,
      airflow: context.airflow,
    };
  },
  resolve({ context, settings, complete, plan }, problems) {
    if (plan !== undefined) checkSecretSize(plan, context.declarations, problems);
    if (context.owner !== undefined)
      problems.check(
        KUBERNETES_LABEL_VALUE.test(context.owner),
        "owner",
        "becomes a label of the env backend's Kubernetes Secret: at most 63 letters, digits, -, _ or ., starting and ending with a letter or digit",
      );
    if (!complete || plan === undefined || !problems.empty) return undefined;
    return {
      plan,
      namespace: context.kubernetes.namespace,
      secretName: settings.secretName ?? `airflow-${context.environment}-secrets`,
      labels: kubernetesLabels(context.environment, context.owner),
    };
  },
  component: EnvAirflowSecrets,
};
