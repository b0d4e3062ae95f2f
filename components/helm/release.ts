/**
 * `AirflowHelmRelease`: the official Apache Airflow chart deployed with `@pulumi/kubernetes`'s Helm
 * release, with an environment's `helmValues` merged into the user's values.
 *
 * Merge rule (`mergeChartValues`, pure): the user's values win everywhere, deep-merged over the
 * environment's, except the keys this library owns because the identity and the configuration
 * depend on them:
 * - each component's `serviceAccount` (`create: false` and the name carrying IRSA / Workload
 *   Identity / managed identity / Vault auth): another name would run the component without its
 *   identity;
 * - `enableBuiltInSecretEnvVars.AIRFLOW__CORE__FERNET_KEY` (off when the Fernet key comes from the
 *   backend): on, the chart's own key would win over the backend's;
 * - the checksum annotations in `airflowPodAnnotations` (the user's other annotations are kept);
 * - `extraEnvFrom`: the library's ConfigMap (and the env backend's Secrets) come first, the user's
 *   entries follow (the chart takes one templated YAML list; both are kept).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export const AIRFLOW_CHART_REPO = "https://airflow.apache.org";
/**
 * The chart line the values are checked against (`../shared/airflow-helm-chart/Chart.yaml` is
 * `1.19.0-dev`, the development head of that line; the repository serves released versions).
 */
export const AIRFLOW_CHART_VERSION = "1.19.0";

type Values = Record<string, unknown>;
const isMap = (value: unknown): value is Values =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function deepMerge(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(over))
    out[key] = isMap(out[key]) && isMap(value) ? deepMerge(out[key] as Values, value) : value;
  return out;
}

/** The paths `mergeChartValues` keeps from the environment's values whatever the user's say. */
export function ownedPaths(environmentValues: Values): string[][] {
  const paths: string[][] = [];
  for (const [key, value] of Object.entries(environmentValues)) {
    if (isMap(value) && isMap(value.serviceAccount)) paths.push([key, "serviceAccount"]);
    if (key === "enableBuiltInSecretEnvVars" && isMap(value))
      for (const variable of Object.keys(value)) paths.push([key, variable]);
    if (key === "airflowPodAnnotations" && isMap(value))
      for (const annotation of Object.keys(value)) paths.push([key, annotation]);
  }
  return paths;
}

/** The user's values over the environment's, the owned keys kept (see the file comment). */
export function mergeChartValues(environmentValues: Values, userValues: Values = {}): Values {
  const merged = deepMerge(environmentValues, userValues);
  for (const path of ownedPaths(environmentValues)) {
    let source: unknown = environmentValues;
    let target: Values = merged;
    path.slice(0, -1).forEach((key) => {
      source = (source as Values)[key];
      target[key] = isMap(target[key]) ? { ...(target[key] as Values) } : {};
      target = target[key] as Values;
    });
    const last = path[path.length - 1];
    target[last] = (source as Values)[last];
  }
  const ours = environmentValues.extraEnvFrom;
  const theirs = userValues.extraEnvFrom;
  if (typeof ours === "string")
    merged.extraEnvFrom =
      typeof theirs === "string" && theirs.trim() !== "" ? `${ours.replace(/\n?$/, "\n")}${theirs}` : ours;
  return merged;
}

export interface AirflowHelmReleaseArgs {
  /** Namespace of the release (the environment's `kubernetes.namespace`). */
  namespace: pulumi.Input<string>;
  /** The environment's `helmValues` output. */
  environmentValues: pulumi.Input<Values>;
  /** Your values (executor, images, resources, ingress…); they win except on the owned keys. */
  values?: pulumi.Input<Values>;
  /** Helm release name. Default `airflow`. */
  releaseName?: string;
  /** The chart's repository. Default https://airflow.apache.org. */
  chartRepo?: pulumi.Input<string>;
  /** The chart's version. Default `AIRFLOW_CHART_VERSION`. */
  chartVersion?: pulumi.Input<string>;
}

/** The official chart, released with the environment's values merged into yours. */
export class AirflowHelmRelease extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: AirflowHelmReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:helm:AirflowHelmRelease", name, {}, opts);
    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: args.releaseName ?? "airflow",
        namespace: args.namespace,
        chart: "airflow",
        version: args.chartVersion ?? AIRFLOW_CHART_VERSION,
        repositoryOpts: { repo: args.chartRepo ?? AIRFLOW_CHART_REPO },
        values: pulumi
          .all([args.environmentValues, args.values ?? {}])
          .apply(([environment, user]) => mergeChartValues(environment, user)),
      },
      { parent: this },
    );
    this.registerOutputs({ status: this.release.status });
  }
}
