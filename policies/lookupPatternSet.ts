import { ENVIRONMENT_CONFIG_SCHEMA } from "./lib/environment";
import { AirflowStackPolicy, perResource } from "./lib/policy";
import { isRecord, jsonDocument, knownOrUndefined } from "./lib/values";

const configSchema = { properties: { ...ENVIRONMENT_CONFIG_SCHEMA } };

/** Backends that accept `*_lookup_pattern` kwargs, with their default prefixes (used when a prefix is not set). */
const PATTERN_BACKENDS: Record<string, Record<string, string>> = {
  "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend": {
    connections: "airflow/connections",
    variables: "airflow/variables",
    config: "airflow/config",
  },
  "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend": {
    connections: "/airflow/connections",
    variables: "/airflow/variables",
    config: "/airflow/config",
  },
};

/** Environment variables holding the backend class and its kwargs (Airflow 2 and Airflow 3 workers). */
const SETTINGS = [
  { backend: "AIRFLOW__SECRETS__BACKEND", kwargs: "AIRFLOW__SECRETS__BACKEND_KWARGS" },
  { backend: "AIRFLOW__WORKERS__SECRETS_BACKEND", kwargs: "AIRFLOW__WORKERS__SECRETS_BACKEND_KWARGS" },
];

/** Anchored at the end: `re.match` only anchors the start, so an open pattern also matches longer ids. */
function endAnchored(pattern: string): boolean {
  return /(\\Z|\$)\)*$/.test(pattern) && !/\\\$\)*$/.test(pattern);
}

/**
 * "connections_lookup_pattern to limit backend lookups to the prod prefix": with an AWS backend,
 * Airflow asks Secrets Manager / SSM for every conn_id a task touches (including ones that live in
 * the metastore or env vars) unless `*_lookup_pattern` narrows it. Checked where Airflow reads it:
 * the ConfigMap with `AIRFLOW__SECRETS__BACKEND_KWARGS`.
 */
export const lookupPatternSet: AirflowStackPolicy = {
  name: "lookup-pattern-set",
  description:
    "In production, an AWS secrets backend (Secrets Manager / SSM) limits lookups with end-anchored connections/variables/config lookup patterns for every prefix it queries.",
  enforcementLevel: "mandatory",
  remediationSteps:
    'Add "connections_lookup_pattern" (and variables_/config_ for each non-null prefix) to backend_kwargs, anchored at both ends, ' +
    'e.g. "^(?:warehouse|slack_alerts)\\\\Z"; or set the prefix to null when nothing of that kind is stored. The environment ' +
    "component renders these from the declared ids.",
  configSchema,
  resourceTypes: ["kubernetes:core/v1:ConfigMap"],
  configExample: { productionStacks: ["live"] },
  validateStack: perResource((args, reportViolation) => {
    if (args.type !== "kubernetes:core/v1:ConfigMap") return;
    if (!args.context.production) return;
    const data = knownOrUndefined(() => args.props.data);
    if (!isRecord(data)) return;
    for (const setting of SETTINGS) {
      const backend = data[setting.backend];
      const defaults = typeof backend === "string" ? PATTERN_BACKENDS[backend.trim()] : undefined;
      if (!defaults) continue;
      const kwargs = jsonDocument(data[setting.kwargs] ?? "{}");
      if (!isRecord(kwargs)) {
        reportViolation(`"${args.name}" ${setting.kwargs} is not a JSON object.`);
        continue;
      }
      for (const kind of Object.keys(defaults)) {
        // An explicit null prefix turns lookups of that kind off; an absent one means the default prefix.
        if (kwargs[`${kind}_prefix`] === null) continue;
        const pattern = kwargs[`${kind}_lookup_pattern`];
        if (typeof pattern !== "string" || pattern === "") {
          reportViolation(
            `"${args.name}" ${setting.kwargs} has no ${kind}_lookup_pattern: every ${kind} lookup goes to the backend.`,
          );
        } else if (!endAnchored(pattern)) {
          reportViolation(
            `"${args.name}" ${setting.kwargs} ${kind}_lookup_pattern is not anchored at the end (\\Z): Airflow's re.match also accepts longer ids.`,
          );
        }
      }
    }
  }),
};
