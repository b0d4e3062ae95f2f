/**
 * AirflowHelmRelease: the official chart from its repository at the pinned version, with the
 * environment's helmValues merged into the user's (user wins except on the keys the library owns),
 * recorded under the mock runtime; the merge itself over generated user values.
 */
import * as fc from "fast-check";
import { installMocks, isSecretValue } from "../../cli/synth/mockRuntime";
import {
  AIRFLOW_CHART_REPO,
  AIRFLOW_CHART_VERSION,
  mergeChartValues,
  ownedPaths,
} from "../../components/helm/release";
import { awsEnvironmentArgs } from "../aws/harness";

const at = (values: Record<string, unknown>, path: string[]) =>
  path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], values);

describe("AirflowHelmRelease under the mock runtime", () => {
  let release: Record<string, unknown>;
  let environmentValues: Record<string, unknown>;

  beforeAll(async () => {
    const session = installMocks({ project: "airflow-secrets", stack: "prod" });
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { AirflowSecretsEnvironment } =
      require("../../components/environment") as typeof import("../../components/environment");
    const { AirflowHelmRelease } =
      require("../../components/helm/release") as typeof import("../../components/helm/release");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const environment = AirflowSecretsEnvironment.fromConfig("prod", awsEnvironmentArgs("prod"));
    new AirflowHelmRelease("prod-airflow", {
      namespace: "airflow-prod",
      environmentValues: environment.helmValues!,
      values: {
        executor: "KubernetesExecutor",
        scheduler: { replicas: 2, serviceAccount: { create: true, name: "mine" } },
        airflowPodAnnotations: { team: "data" },
        enableBuiltInSecretEnvVars: { AIRFLOW__CORE__FERNET_KEY: true },
        extraEnvFrom: "- secretRef:\n    name: 'my-extra'\n",
      },
    });
    await session.settle();
    environment.helmValues!.apply((v) => (environmentValues = v));
    await session.settle();
    const recorded = session.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
    expect(recorded).toHaveLength(1);
    release = recorded[0].inputs;
  });

  it("installs the official chart from its repository at the pinned version", () => {
    expect(release).toMatchObject({
      name: "airflow",
      namespace: "airflow-prod",
      chart: "airflow",
      version: AIRFLOW_CHART_VERSION,
      repositoryOpts: { repo: AIRFLOW_CHART_REPO },
    });
    expect(AIRFLOW_CHART_REPO).toBe("https://airflow.apache.org");
  });

  it("the user's values win except on the identity, Fernet and checksum keys; both env lists are kept", () => {
    const values = (isSecretValue(release.values) ? release.values.value : release.values) as Record<
      string,
      unknown
    >;
    expect(values.executor).toBe("KubernetesExecutor");
    expect(at(values, ["scheduler", "replicas"])).toBe(2);
    expect(at(values, ["scheduler", "serviceAccount"])).toEqual(
      at(environmentValues, ["scheduler", "serviceAccount"]),
    );
    expect(at(values, ["scheduler", "serviceAccount", "create"])).toBe(false);
    expect(at(values, ["enableBuiltInSecretEnvVars", "AIRFLOW__CORE__FERNET_KEY"])).toBe(false);
    expect(at(values, ["airflowPodAnnotations", "team"])).toBe("data");
    expect(values.extraEnvFrom).toBe(
      `${environmentValues.extraEnvFrom as string}- secretRef:\n    name: 'my-extra'\n`,
    );
  });
});

describe("mergeChartValues", () => {
  const environment = {
    extraEnvFrom: "- configMapRef:\n    name: 'airflow-prod-secrets-config'\n",
    airflowPodAnnotations: { "airflow-secrets/config-checksum": "abc" },
    enableBuiltInSecretEnvVars: { AIRFLOW__CORE__FERNET_KEY: false },
    scheduler: { serviceAccount: { create: false, name: "airflow" } },
    workers: { serviceAccount: { create: false, name: "airflow-worker" } },
  };
  const key = fc.constantFrom(
    "scheduler",
    "workers",
    "executor",
    "airflowPodAnnotations",
    "enableBuiltInSecretEnvVars",
    "images",
    "serviceAccount",
    "create",
    "name",
    "replicas",
    "AIRFLOW__CORE__FERNET_KEY",
    "airflow-secrets/config-checksum",
  );
  const userValues = fc.dictionary(
    key,
    fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.dictionary(key, fc.oneof(fc.integer(), fc.boolean(), fc.dictionary(key, fc.boolean()))),
    ),
  );

  it("keeps every owned path and otherwise takes the user's leaves", () => {
    const owned = ownedPaths(environment);
    expect(owned.length).toBe(4);
    fc.assert(
      fc.property(userValues, (user) => {
        const merged = mergeChartValues(environment, user);
        for (const path of owned) expect(at(merged, path)).toEqual(at(environment, path));
        expect(merged.extraEnvFrom).toBe(environment.extraEnvFrom);
        for (const [k, v] of Object.entries(user))
          if (typeof v !== "object" && !owned.some((p) => p[0] === k)) expect(merged[k]).toBe(v);
      }),
      { numRuns: 300 },
    );
  });
});
