import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AirflowConfig } from "../airflow";

export interface AirflowConfigMapArgs {
  namespace: pulumi.Input<string>;
  /** The rendered Airflow configuration (`[secrets]` backend, kwargs, cache, `{option}_secret`). */
  airflowConfig: AirflowConfig;
  /** ConfigMap name; defaults to the component name. */
  configMapName?: pulumi.Input<string>;
  provider?: k8s.Provider;
}

/**
 * The `AIRFLOW__SECTION__OPTION` variables that point Airflow at its secrets backend, plus the same
 * settings as an `airflow.cfg` fragment. Mount with `envFrom: [{configMapRef: …}]` (Helm chart:
 * `extraEnvFrom`). Holds no secret: backend kwargs carry names and roles, never credentials.
 */
export class AirflowConfigMap extends pulumi.ComponentResource {
  readonly configMap: k8s.core.v1.ConfigMap;
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: AirflowConfigMapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:kubernetes:AirflowConfigMap", name, {}, opts);
    this.configMap = new k8s.core.v1.ConfigMap(
      `${name}-env`,
      {
        metadata: {
          name: args.configMapName ?? name,
          namespace: args.namespace,
          labels: {
            "app.kubernetes.io/part-of": "airflow",
            "app.kubernetes.io/managed-by": "airflow-secrets",
          },
        },
        data: args.airflowConfig.env,
      },
      { parent: this, provider: args.provider },
    );
    this.name = this.configMap.metadata.name;
    this.registerOutputs({ name: this.name });
  }
}
