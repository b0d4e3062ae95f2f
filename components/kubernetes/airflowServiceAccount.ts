import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kubernetesLabels } from "./labels";

export interface AirflowServiceAccountArgs {
  /** Namespace Airflow runs in. */
  namespace: pulumi.Input<string>;
  /** Service account name the Airflow pods use. */
  name: pulumi.Input<string>;
  /**
   * Cloud identity annotations: `eks.amazonaws.com/role-arn` (IRSA), `iam.gke.io/gcp-service-account`
   * (GKE Workload Identity) or `azure.workload.identity/client-id` (AKS Workload Identity).
   */
  annotations?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Labels the backend's identity binding needs (AKS: `azure.workload.identity/use`). */
  labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** The environment (and owner) the standard labels name; without it only Kubernetes' recommended labels. */
  environment?: string;
  owner?: string;
}

/**
 * The Kubernetes service account Airflow's pods run as, carrying the cloud identity binding. The
 * cluster is chosen by the resource options (`{ provider }`, or the parent's `providers`).
 */
export class AirflowServiceAccount extends pulumi.ComponentResource {
  readonly serviceAccount: k8s.core.v1.ServiceAccount;
  readonly name: pulumi.Output<string>;
  readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: AirflowServiceAccountArgs, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:kubernetes:AirflowServiceAccount", name, {}, opts);
    const standard = kubernetesLabels(args.environment, args.owner);
    this.serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: {
          name: args.name,
          namespace: args.namespace,
          annotations: args.annotations,
          // The library's labels win: a binding's labels may not relabel the environment.
          labels: pulumi.output(args.labels ?? {}).apply((labels) => ({ ...labels, ...standard })),
        },
      },
      { parent: this },
    );
    this.name = this.serviceAccount.metadata.name;
    this.namespace = this.serviceAccount.metadata.namespace;
    this.registerOutputs({ name: this.name, namespace: this.namespace });
  }
}
