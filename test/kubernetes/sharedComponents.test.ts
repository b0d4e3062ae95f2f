/**
 * The Kubernetes pieces every backend shares: Airflow's service account and the ConfigMap pointing
 * Airflow at its backend. The cluster comes through the resource options only, and the labels carry
 * the one environment key, which a backend's binding labels cannot override.
 */
import * as k8s from "@pulumi/kubernetes";
import { installMocks } from "../../cli/synth/mockRuntime";
import { AirflowConfigMap, AirflowServiceAccount } from "../../components/kubernetes";
import { ENVIRONMENT_LABEL } from "../../components/core/labels";

const session = installMocks({ project: "airflow-secrets", stack: "dev" });

const airflowConfig = { env: { AIRFLOW__SECRETS__USE_CACHE: "False" }, cfg: "" } as never;

test("both accept the cluster through the resource options and label with the one environment key, which binding labels cannot override", async () => {
  const cluster = new k8s.Provider("cluster", { context: "dev-cluster" });
  new AirflowServiceAccount(
    "sa",
    {
      namespace: "airflow-dev",
      name: "airflow",
      environment: "dev",
      owner: "data-platform",
      labels: { "azure.workload.identity/use": "true", [ENVIRONMENT_LABEL]: "prod" },
    },
    { provider: cluster },
  );
  new AirflowConfigMap(
    "config",
    { namespace: "airflow-dev", airflowConfig, environment: "dev", owner: "data-platform" },
    { provider: cluster },
  );
  await session.settle();
  const serviceAccount = session.resources.find((r) => r.type === "kubernetes:core/v1:ServiceAccount")!;
  const configMap = session.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap")!;
  const standard = {
    "app.kubernetes.io/part-of": "airflow",
    "app.kubernetes.io/managed-by": "airflow-secrets",
    "managed-by": "airflow-secrets",
    [ENVIRONMENT_LABEL]: "dev",
    owner: "data-platform",
  };
  expect((serviceAccount.inputs.metadata as { labels: unknown }).labels).toEqual({
    ...standard,
    "azure.workload.identity/use": "true",
  });
  expect((configMap.inputs.metadata as { labels: unknown }).labels).toEqual(standard);
  expect(configMap.inputs.data).toEqual({ AIRFLOW__SECRETS__USE_CACHE: "False" });
});

/** Type-checked by tsc (npm test): a provider is not an argument of either component. */
export function providersAreNotArgs(cluster: k8s.Provider): void {
  // @ts-expect-error providers come through the resource options
  new AirflowServiceAccount("sa", { namespace: "a", name: "b", provider: cluster });
  // @ts-expect-error providers come through the resource options
  new AirflowConfigMap("cm", { namespace: "a", airflowConfig, provider: cluster });
}
