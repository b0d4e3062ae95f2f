/**
 * The env backend: connections, variables and config as `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*` /
 * `AIRFLOW__{SECTION}__{OPTION}` entries of Kubernetes Secrets (one, or as many as 1 MiB each
 * needs: shards.ts) read by Airflow's `EnvironmentVariablesBackend`. Parse (`schema.ts`) → resolve (here, pure) → build
 * (`EnvAirflowSecrets`).
 */
import { PlanArgs, Problems, SecretsPlan } from "../airflow";
import { type AirflowSecretsBackend, type BackendContext, requireKubernetes } from "../backend";
import { kubernetesLabels } from "../kubernetes/labels";
import { EnvAirflowSecrets, EnvResolved } from "./envAirflowSecrets";
import { settingsSchema } from "./schema";
import {
  assignShards,
  EnvSecretShard,
  MAX_SHARD_BITS,
  SECRET_MAX_BYTES,
  shardSecretName,
  ShardEntry,
  UNKNOWN_VALUE_BYTES,
} from "./shards";

export { SECRET_MAX_BYTES } from "./shards";

/** Kubernetes' rule for a label value (the Secret carries the owner as one). */
const KUBERNETES_LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** Kubernetes' longest object name (an RFC 1123 subdomain). */
const KUBERNETES_NAME_MAX = 253;

/** The field path of the i-th planned variable (the plan keeps the declarations' order), built on demand. */
function entryPath(context: BackendContext, i: number): string | undefined {
  const { connections = [], variables = [], config = [] } = context.declarations;
  if (i < connections.length) return `connections[${connections[i].conn_id}]`;
  const v = i - connections.length;
  if (v < variables.length) return `variables[${variables[v].key}].value`;
  const o = config[v - variables.length];
  return o !== undefined ? `config[${o.section}.${o.option}].value` : undefined;
}

/**
 * The Secrets the variables go to (see shards.ts for the rule). Each entry counts its name and its
 * encoded value (at least what Kubernetes counts, the values alone); a value known only at deployment
 * counts `UNKNOWN_VALUE_BYTES`. An entry that cannot fit any Secret is refused at its field.
 */
function planShards(
  plan: SecretsPlan,
  path: (i: number) => string | undefined,
  secretName: string,
  problems: Problems,
): EnvSecretShard[] | undefined {
  const entries: ShardEntry[] = plan.secrets.map((s) => ({
    name: s.name,
    bytes: Buffer.byteLength(s.name) + (s.knownBytes ?? UNKNOWN_VALUE_BYTES),
  }));
  const before = problems.list.length;
  entries.forEach((entry, i) => {
    if (entry.bytes > SECRET_MAX_BYTES)
      problems.add(
        path(i) ?? entry.name,
        `holds ${entry.bytes} bytes with its variable name; one Kubernetes Secret allows ${SECRET_MAX_BYTES} (1 MiB): move it to another backend`,
      );
  });
  if (problems.list.length > before) return undefined;
  const assignment = assignShards(secretName, entries);
  if (!assignment.ok) {
    const total = entries.reduce((sum, e) => sum + e.bytes, 0);
    problems.add(
      "connections",
      `the env backend's ${total} bytes do not fit ${2 ** MAX_SHARD_BITS} Kubernetes Secrets of ${SECRET_MAX_BYTES} bytes (the fullest would hold ${assignment.fullestBytes}): move large values to another backend`,
    );
    return undefined;
  }
  const last = assignment.shards[assignment.shards.length - 1];
  problems.check(
    last.secretName.length <= KUBERNETES_NAME_MAX,
    "env.secretName",
    () =>
      `the variables need ${assignment.shards.length} Kubernetes Secrets, the last named ${shardSecretName("{secretName}", last.index)}, which must be at most ${KUBERNETES_NAME_MAX} characters`,
  );
  return assignment.shards;
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
    const secretName = settings.secretName ?? `airflow-${context.environment}-secrets`;
    const shards =
      plan !== undefined ? planShards(plan, (i) => entryPath(context, i), secretName, problems) : undefined;
    if (context.owner !== undefined)
      problems.check(
        KUBERNETES_LABEL_VALUE.test(context.owner),
        "owner",
        "becomes a label of the env backend's Kubernetes Secret: at most 63 letters, digits, -, _ or ., starting and ending with a letter or digit",
      );
    const kubernetes = requireKubernetes(
      context,
      "false is refused with the env backend: its store is a Kubernetes Secret loaded into Airflow's pods; off Kubernetes choose a backend Airflow reads over the network (aws), so the platform's own settings never hold the values",
      problems,
    );
    if (
      !complete ||
      plan === undefined ||
      shards === undefined ||
      kubernetes === undefined ||
      !problems.empty
    )
      return undefined;
    return {
      plan,
      namespace: kubernetes.namespace,
      shards,
      labels: kubernetesLabels(context.environment, context.owner),
    };
  },
  component: EnvAirflowSecrets,
};
