/**
 * Which Kubernetes service account each Airflow component runs as, as the official Helm chart names
 * its components (`scheduler.serviceAccount`, `workers.serviceAccount`, …). Pure: no Kubernetes SDK,
 * so the stack schema, every backend's resolve and the chart values share it.
 *
 * Forms (`kubernetes:` in a stack file):
 * - `serviceAccount: airflow` — one shared name for every component (the default, `airflow`);
 * - `serviceAccounts: {scheduler: …, workers: …}` — a name per component; a component not listed
 *   runs as `serviceAccount`;
 * - `chartRelease: airflow` — the names the chart itself generates for that Helm release.
 */
import type { Problems } from "../airflow/problems";
import type { KubernetesSettings } from "../backend";

/** The chart's components whose pods read connections, variables or config through the backend. */
export type AirflowComponent =
  "scheduler" | "workers" | "triggerer" | "dagProcessor" | "webserver" | "apiServer" | "migrateDatabaseJob";

/**
 * Per Airflow major version, in the order the chart's values list them. The UI is `webserver` on 2
 * and `apiServer` on 3 (the chart renders each only on its line). The migrate-database Job runs
 * `airflow db migrate`, which reads the Fernet key (2.9's trigger-kwargs migration encrypts with it:
 * https://github.com/apache/airflow/blob/2.9.0/airflow/migrations/versions/0015_2_9_0_update_trigger_kwargs_type.py)
 * and, on 2.x, re-serialises DAGs, whose top-level code may read Variables; it loads the same
 * `extraEnvFrom` (`migrateDatabaseJob.applyCustomEnv`, default true), so it needs the reader identity too.
 * `createUserJob` (Airflow 2's `airflow users create`) and the cleanup CronJobs read no secret.
 */
export const IDENTITY_COMPONENTS: Record<2 | 3, readonly AirflowComponent[]> = {
  2: ["scheduler", "workers", "triggerer", "dagProcessor", "webserver", "migrateDatabaseJob"],
  3: ["scheduler", "workers", "triggerer", "dagProcessor", "apiServer", "migrateDatabaseJob"],
};

/**
 * The suffix the chart appends to its full name for each component's generated service account
 * (`<component>.serviceAccountName` in chart/templates/_helpers.yaml, chart 1.x:
 * https://github.com/apache/airflow/blob/helm-chart/1.18.0/chart/templates/_helpers.yaml).
 */
export const CHART_SERVICE_ACCOUNT_SUFFIXES: Record<AirflowComponent, string> = {
  scheduler: "scheduler",
  workers: "worker",
  triggerer: "triggerer",
  dagProcessor: "dag-processor",
  webserver: "webserver",
  apiServer: "api-server",
  migrateDatabaseJob: "migrate-database-job",
};

export const DEFAULT_SERVICE_ACCOUNT = "airflow";

/** The major version a `airflow.version` string belongs to (the chart's UI component depends on it). */
export function airflowMajorOf(version: unknown): 2 | 3 {
  return String(version).startsWith("2.") ? 2 : 3;
}

/**
 * The chart's `airflow.fullname` without `fullnameOverride`/`nameOverride`: the release name when it
 * contains the chart's name (`airflow`), else `<release>-airflow`, cut to 63 characters.
 */
export function chartFullname(release: string): string {
  const full = release.includes("airflow") ? release : `${release}-airflow`;
  return full.slice(0, 63).replace(/-+$/, "");
}

/** What every backend binds: the namespace and the distinct service account names, in component order. */
export interface KubernetesIdentity {
  namespace: string;
  serviceAccounts: string[];
  /**
   * The shared name (`serviceAccount`, default `airflow`) when a component runs as it. What is
   * built for it keeps the resource name it had before per-component accounts, so moving some
   * components to their own accounts never deletes and recreates the shared one's binding.
   */
  sharedServiceAccount?: string;
}

/**
 * The resource name of what is built for one service account: `base` for the shared one (its URN
 * since the first release), `base-<account>` for the others.
 */
export function perServiceAccountName(base: string, identity: KubernetesIdentity, account: string): string {
  return account === identity.sharedServiceAccount ? base : `${base}-${account}`;
}

/**
 * Each of the line's components and the service account it runs as. Lenient (the settings were
 * checked by `checkComponentServiceAccounts`): a component the line does not run is ignored.
 */
export function componentServiceAccounts(
  kubernetes: KubernetesSettings,
  airflowVersion: unknown,
): Array<[AirflowComponent, string]> {
  const components = IDENTITY_COMPONENTS[airflowMajorOf(airflowVersion)];
  if (kubernetes.chartRelease !== undefined) {
    const fullname = chartFullname(kubernetes.chartRelease);
    return components.map((c) => [c, `${fullname}-${CHART_SERVICE_ACCOUNT_SUFFIXES[c]}`]);
  }
  const shared = kubernetes.serviceAccount ?? DEFAULT_SERVICE_ACCOUNT;
  return components.map((c) => [c, kubernetes.serviceAccounts?.[c] ?? shared]);
}

/**
 * The namespace and the distinct names the environment's reader identity must cover, and nothing
 * more; undefined off Kubernetes (`kubernetes: false`).
 */
export function kubernetesIdentity(context: {
  kubernetes: KubernetesSettings | false;
  airflow: { version: unknown };
}): KubernetesIdentity | undefined {
  if (context.kubernetes === false) return undefined;
  const names = componentServiceAccounts(context.kubernetes, context.airflow.version).map(([, n]) => n);
  const shared =
    context.kubernetes.chartRelease === undefined
      ? (context.kubernetes.serviceAccount ?? DEFAULT_SERVICE_ACCOUNT)
      : undefined;
  return {
    namespace: context.kubernetes.namespace,
    serviceAccounts: [...new Set(names)],
    ...(shared !== undefined && names.includes(shared) ? { sharedServiceAccount: shared } : {}),
  };
}

/**
 * The rules across `kubernetes` fields that the schema cannot see alone (they depend on the Airflow
 * line): a component the chart does not run on this line, a shared name no component uses, chart
 * names too long for Kubernetes. Paths name the field; refused values are never quoted.
 */
export function checkComponentServiceAccounts(
  kubernetes: KubernetesSettings,
  airflowVersion: unknown,
  problems: Problems,
  base = "kubernetes",
): void {
  const major = airflowMajorOf(airflowVersion);
  const components = IDENTITY_COMPONENTS[major];
  const listed = Object.keys(kubernetes.serviceAccounts ?? {}) as AirflowComponent[];
  for (const component of listed) {
    if (components.includes(component)) continue;
    problems.add(
      `${base}.serviceAccounts.${component}`,
      component === "webserver"
        ? "the chart runs no webserver on Airflow 3: name the API server's service account (apiServer)"
        : "the chart runs no API server on Airflow 2: name the webserver's service account (webserver)",
    );
  }
  if (
    kubernetes.serviceAccount !== undefined &&
    kubernetes.chartRelease === undefined &&
    components.every((c) => kubernetes.serviceAccounts?.[c] !== undefined)
  )
    problems.add(
      `${base}.serviceAccount`,
      "every component is named in serviceAccounts, so no pod would run as this one: remove it",
    );
  if (typeof kubernetes.chartRelease === "string") {
    // The chart does not shorten `<fullname>-<suffix>`; every name bound here is a 63-character label.
    const longest = Math.max(...components.map((c) => CHART_SERVICE_ACCOUNT_SUFFIXES[c].length));
    const room = 63 - 1 - longest;
    problems.check(
      chartFullname(kubernetes.chartRelease).length <= room,
      `${base}.chartRelease`,
      `makes a service account name longer than 63 characters (<release>-migrate-database-job): use a release name of at most ${room} characters with "airflow" in it (${room - "-airflow".length} without), or name the accounts in serviceAccounts`,
    );
  }
}
