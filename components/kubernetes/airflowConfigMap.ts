import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AirflowConfig } from "../airflow";
import { kubernetesLabels } from "./labels";

export interface AirflowConfigMapArgs {
  namespace: pulumi.Input<string>;
  /** The rendered Airflow configuration (`[secrets]` backend, kwargs, cache, `{option}_secret`). */
  airflowConfig: AirflowConfig;
  /** ConfigMap name; defaults to the component name. */
  configMapName?: pulumi.Input<string>;
  /** The environment (and owner) the standard labels name; without it only Kubernetes' recommended labels. */
  environment?: string;
  owner?: string;
}

/**
 * The `AIRFLOW__SECTION__OPTION` variables that point Airflow at its secrets backend, plus the same
 * settings as an `airflow.cfg` fragment. Mount with `envFrom: [{configMapRef: …}]` (Helm chart:
 * `extraEnvFrom`). Holds no secret: backend kwargs carry names and roles, never credentials. The
 * cluster is chosen by the resource options (`{ provider }`, or the parent's `providers`).
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
          labels: kubernetesLabels(args.environment, args.owner),
        },
        data: args.airflowConfig.env,
      },
      { parent: this },
    );
    this.name = this.configMap.metadata.name;
    this.registerOutputs({ name: this.name });
  }
}
