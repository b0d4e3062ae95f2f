/**
 * One service account per Airflow component: the three forms of `kubernetes:` (one shared name,
 * a name per component, the chart's names for a Helm release), the rules the schema and the
 * environment enforce with field paths, and what the environment builds from them (a service
 * account per distinct name with the identity's annotations, chart values per component, the
 * shared account's URN kept).
 */
import { installMocks } from "../../cli/synth/mockRuntime";
import { Problems } from "../../components/airflow";
import type { KubernetesSettings } from "../../components/backend";
import type { AirflowSecretsEnvironmentConfigArgs } from "../../components/environment";
import { displayPath, parseSettings, schemaFields } from "../../components/core/schema";
import { kubernetesTargetSchema, topLevelSchema } from "../../components/core/stackSchema";
import {
  CHART_SERVICE_ACCOUNT_SUFFIXES,
  IDENTITY_COMPONENTS,
  chartFullname,
  checkComponentServiceAccounts,
  componentServiceAccounts,
  kubernetesIdentity,
} from "../../components/kubernetes/serviceAccountNames";
import { ofType, one } from "../support/resources";

/** Every problem of `kubernetes` as the environment reports it: shape first, then the line's rules. */
function problemsOf(kubernetes: unknown, version = "3.1"): string[] {
  const problems = new Problems();
  if (parseSettings(kubernetesTargetSchema, kubernetes, "kubernetes", problems) !== undefined && kubernetes)
    checkComponentServiceAccounts(kubernetes as KubernetesSettings, version, problems);
  return problems.list.map((p) => `${p.path}: ${p.rule}`);
}

const byComponent = (kubernetes: KubernetesSettings, version: string) =>
  Object.fromEntries(componentServiceAccounts(kubernetes, version));

describe("the forms", () => {
  test("default: every component of the line runs as `airflow`", () => {
    for (const version of ["2.10", "3.1"]) {
      const names = byComponent({ namespace: "airflow" }, version);
      expect(Object.keys(names)).toEqual(IDENTITY_COMPONENTS[version.startsWith("2.") ? 2 : 3]);
      expect(new Set(Object.values(names))).toEqual(new Set(["airflow"]));
    }
    expect(kubernetesIdentity({ kubernetes: { namespace: "a" }, airflow: { version: "3.1" } })).toEqual({
      namespace: "a",
      serviceAccounts: ["airflow"],
      sharedServiceAccount: "airflow",
    });
  });

  test("the UI component is the webserver on Airflow 2 and the API server on Airflow 3", () => {
    expect(IDENTITY_COMPONENTS[2]).toContain("webserver");
    expect(IDENTITY_COMPONENTS[2]).not.toContain("apiServer");
    expect(IDENTITY_COMPONENTS[3]).toContain("apiServer");
    expect(IDENTITY_COMPONENTS[3]).not.toContain("webserver");
    for (const line of [2, 3] as const) expect(IDENTITY_COMPONENTS[line]).toContain("migrateDatabaseJob");
  });

  test("per component: listed components get their name, the others the shared one", () => {
    const kubernetes = { namespace: "n", serviceAccount: "core", serviceAccounts: { workers: "tasks" } };
    expect(byComponent(kubernetes, "3.1")).toEqual({
      scheduler: "core",
      workers: "tasks",
      triggerer: "core",
      dagProcessor: "core",
      apiServer: "core",
      migrateDatabaseJob: "core",
    });
    expect(kubernetesIdentity({ kubernetes, airflow: { version: "3.1" } })).toEqual({
      namespace: "n",
      serviceAccounts: ["core", "tasks"],
      sharedServiceAccount: "core",
    });
  });

  test("every component named: no shared account is bound, and none is left over", () => {
    const own = Object.fromEntries(IDENTITY_COMPONENTS[3].map((c) => [c, `sa-${c.toLowerCase()}`]));
    const identity = kubernetesIdentity({
      kubernetes: { namespace: "n", serviceAccounts: own },
      airflow: { version: "3.1" },
    })!;
    expect(identity.serviceAccounts).toEqual(Object.values(own));
    expect(identity.sharedServiceAccount).toBeUndefined();
    // A component naming the default shared name keeps that account's resources (and URN).
    const keeping = kubernetesIdentity({
      kubernetes: { namespace: "n", serviceAccounts: { ...own, scheduler: "airflow" } },
      airflow: { version: "3.1" },
    })!;
    expect(keeping.sharedServiceAccount).toBe("airflow");
  });

  test("chartRelease: the chart's generated names, `<release>-airflow-…` when the release lacks `airflow`", () => {
    expect(byComponent({ namespace: "n", chartRelease: "airflow" }, "3.1")).toEqual({
      scheduler: "airflow-scheduler",
      workers: "airflow-worker",
      triggerer: "airflow-triggerer",
      dagProcessor: "airflow-dag-processor",
      apiServer: "airflow-api-server",
      migrateDatabaseJob: "airflow-migrate-database-job",
    });
    expect(byComponent({ namespace: "n", chartRelease: "prod" }, "2.10").webserver).toBe(
      "prod-airflow-webserver",
    );
    expect(byComponent({ namespace: "n", chartRelease: "my-airflow" }, "2.10").workers).toBe(
      "my-airflow-worker",
    );
  });

  test("chartFullname follows the chart's rule for generated release names", () => {
    // Generated over release names: the rule is "contains the chart name", not "starts with".
    const releases = ["a", "airflow", "airflow2", "team-airflow-prod", "air-flow", "x".repeat(53)];
    for (const release of releases) {
      const full = chartFullname(release);
      if (release.includes("airflow")) expect(full).toBe(release);
      else expect(full).toBe(`${release}-airflow`.slice(0, 63));
      expect(full.length).toBeLessThanOrEqual(63);
      expect(full.endsWith("-")).toBe(false);
    }
    expect(Object.keys(CHART_SERVICE_ACCOUNT_SUFFIXES).sort()).toEqual(
      [...new Set([...IDENTITY_COMPONENTS[2], ...IDENTITY_COMPONENTS[3]])].sort(),
    );
  });
});

describe("the rules, each at its field and never quoting the value", () => {
  test.each([
    [
      "chartRelease with serviceAccount",
      { namespace: "n", chartRelease: "airflow", serviceAccount: "secret-looking-name" },
      "kubernetes.serviceAccount: cannot be combined with chartRelease",
    ],
    [
      "chartRelease with serviceAccounts",
      { namespace: "n", chartRelease: "airflow", serviceAccounts: { workers: "secret-looking-name" } },
      "kubernetes.serviceAccounts: cannot be combined with chartRelease",
    ],
    [
      "webserver on Airflow 3",
      { namespace: "n", serviceAccounts: { webserver: "secret-looking-name" } },
      "kubernetes.serviceAccounts.webserver: the chart runs no webserver on Airflow 3",
    ],
    [
      "a shared name no component runs as",
      {
        namespace: "n",
        serviceAccount: "secret-looking-name",
        serviceAccounts: Object.fromEntries(IDENTITY_COMPONENTS[3].map((c) => [c, `sa-${c.toLowerCase()}`])),
      },
      "kubernetes.serviceAccount: every component is named in serviceAccounts",
    ],
    [
      "a release whose names exceed 63 characters",
      { namespace: "n", chartRelease: "secret-looking-name-" + "x".repeat(30) },
      "kubernetes.chartRelease: makes a service account name longer than 63 characters",
    ],
    [
      "an unknown component",
      { namespace: "n", serviceAccounts: { flower: "secret-looking-name" } },
      "kubernetes.serviceAccounts.flower: is not a known setting (known: scheduler, workers",
    ],
    [
      "a name that is not a Kubernetes name",
      { namespace: "n", serviceAccounts: { scheduler: "Secret_Looking_Name" } },
      "kubernetes.serviceAccounts.scheduler: must be a Kubernetes name",
    ],
    [
      "a wrong type inside the map",
      { namespace: "n", serviceAccounts: { triggerer: 7 } },
      "kubernetes.serviceAccounts.triggerer: must be a string (got a number)",
    ],
  ])("%s", (_what, kubernetes, expected) => {
    const found = problemsOf(kubernetes);
    expect(found.some((p) => p.startsWith(expected))).toBe(true);
    expect(found.join("\n")).not.toMatch(/secret[-_]looking[-_]name/i);
  });

  test("apiServer on Airflow 2 is refused, and accepted on 3", () => {
    expect(problemsOf({ namespace: "n", serviceAccounts: { apiServer: "ui" } }, "2.11")).toEqual([
      "kubernetes.serviceAccounts.apiServer: the chart runs no API server on Airflow 2: name the webserver's service account (webserver)",
    ]);
    expect(problemsOf({ namespace: "n", serviceAccounts: { apiServer: "ui" } }, "3.0")).toEqual([]);
  });

  test("the longest release name that fits is accepted; one more character is refused", () => {
    const room = 63 - 1 - "migrate-database-job".length;
    expect(problemsOf({ namespace: "n", chartRelease: "a".repeat(room - "-airflow".length) })).toEqual([]);
    expect(
      problemsOf({ namespace: "n", chartRelease: "a".repeat(room - "-airflow".length + 1) }),
    ).toHaveLength(1);
    expect(problemsOf({ namespace: "n", chartRelease: `airflow${"a".repeat(room - 7)}` })).toEqual([]);
  });

  test("the type fuzz and the editor schema reach every new key (the union with `false` is walked)", () => {
    const fields = schemaFields(topLevelSchema).map((f) => displayPath(f.path));
    for (const key of ["serviceAccount", "chartRelease", "serviceAccounts"])
      expect(fields).toContain(`kubernetes.${key}`);
    for (const component of [...IDENTITY_COMPONENTS[2], "apiServer"])
      expect(fields).toContain(`kubernetes.serviceAccounts.${component}`);
  });
});

describe("what the environment builds", () => {
  const session = installMocks({ project: "airflow-secrets", stack: "component-accounts" });
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { AirflowSecretsEnvironment } =
    require("../../components/environment") as typeof import("../../components/environment");
  /* eslint-enable @typescript-eslint/no-require-imports */

  const envArgs = (
    environment: string,
    kubernetes: KubernetesSettings,
    version = "3.1",
  ): AirflowSecretsEnvironmentConfigArgs => ({
    environment,
    backend: "env",
    backendSettings: {},
    airflow: { version },
    kubernetes,
    declarations: { variables: [{ key: "alert_email", value: "a@example.com" }] },
    fernet: {
      generations: ["2026-q3", "2026-q4"],
      rotationInProgress: true,
      reencryptJob: { image: "apache/airflow:3.1.5", metadataSecret: { name: "airflow-metadata" } },
    },
  });

  let shared: InstanceType<typeof AirflowSecretsEnvironment>;
  let split: InstanceType<typeof AirflowSecretsEnvironment>;
  beforeAll(async () => {
    shared = AirflowSecretsEnvironment.fromConfig("one", envArgs("one", { namespace: "ns-one" }));
    split = AirflowSecretsEnvironment.fromConfig(
      "two",
      envArgs("two", {
        namespace: "ns-two",
        serviceAccount: "airflow",
        serviceAccounts: { workers: "airflow-worker", migrateDatabaseJob: "airflow-migrate" },
      }),
    );
    await session.settle();
  });

  const accountsIn = (namespace: string) =>
    ofType(session.resources, "kubernetes:core/v1:ServiceAccount").filter(
      (r) => (r.inputs.metadata as { namespace: string }).namespace === namespace,
    );

  test("one service account per distinct name, each labelled and annotated alike", () => {
    const names = accountsIn("ns-two").map((r) => (r.inputs.metadata as { name: string }).name);
    expect(names.sort()).toEqual(["airflow", "airflow-migrate", "airflow-worker"]);
    expect(accountsIn("ns-one")).toHaveLength(1);
    const labels = accountsIn("ns-two").map((r) =>
      JSON.stringify((r.inputs.metadata as { labels: unknown }).labels),
    );
    expect(new Set(labels).size).toBe(1);
  });

  test("the shared account keeps its resource name; the others are named by account", () => {
    const components = ofType(session.resources, "airflow-secrets:kubernetes:AirflowServiceAccount").map(
      (r) => r.name,
    );
    expect(components.sort()).toEqual([
      "one-airflow",
      "two-airflow",
      "two-airflow-airflow-migrate",
      "two-airflow-airflow-worker",
    ]);
  });

  test("the component records every account for the policy pack, and the single name with one", () => {
    const inputsOf = (name: string) =>
      one(session.resources, "airflow-secrets:index:AirflowSecretsEnvironment", name).inputs;
    expect(inputsOf("two")).toMatchObject({
      kubernetesNamespace: "ns-two",
      kubernetesServiceAccounts: ["airflow", "airflow-worker", "airflow-migrate"],
    });
    expect(inputsOf("two").kubernetesServiceAccount).toBeUndefined();
    expect(inputsOf("one")).toMatchObject({
      kubernetesServiceAccount: "airflow",
      kubernetesServiceAccounts: ["airflow"],
    });
  });

  test("chart values name each component's account; the Fernet Job runs as the migrate-database Job's", async () => {
    const values = await new Promise<Record<string, { serviceAccount: { name: string; create: boolean } }>>(
      (resolve) => split.helmValues!.apply((v) => resolve(v as never)),
    );
    expect(values.workers.serviceAccount).toEqual({ create: false, name: "airflow-worker" });
    expect(values.migrateDatabaseJob.serviceAccount).toEqual({ create: false, name: "airflow-migrate" });
    for (const c of ["scheduler", "triggerer", "dagProcessor", "apiServer"])
      expect(values[c].serviceAccount).toEqual({ create: false, name: "airflow" });
    expect(split.serviceAccounts.workers).not.toBe(split.serviceAccounts.scheduler);
    expect(split.serviceAccount).toBe(split.serviceAccounts.scheduler);
    const job = one(session.resources, "kubernetes:batch/v1:Job", /^two-/);
    const spec = job.inputs.spec as { template: { spec: { serviceAccountName: string } } };
    expect(spec.template.spec.serviceAccountName).toBe("airflow-migrate");
    expect(Object.keys(shared.serviceAccounts)).toEqual(IDENTITY_COMPONENTS[3]);
  });
});
