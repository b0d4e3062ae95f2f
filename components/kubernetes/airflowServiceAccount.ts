import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

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
  labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Kubernetes provider (cluster) to create it in; defaults to the ambient provider. */
  provider?: k8s.Provider;
}

/** The Kubernetes service account Airflow's pods run as, carrying the cloud identity binding. */
export class AirflowServiceAccount extends pulumi.ComponentResource {
  readonly serviceAccount: k8s.core.v1.ServiceAccount;
  readonly name: pulumi.Output<string>;
  readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: AirflowServiceAccountArgs, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:kubernetes:AirflowServiceAccount", name, {}, opts);
    this.serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: {
          name: args.name,
          namespace: args.namespace,
          annotations: args.annotations,
          labels: pulumi.output(args.labels ?? {}).apply((labels) => ({
            "app.kubernetes.io/part-of": "airflow",
            "app.kubernetes.io/managed-by": "airflow-secrets",
            ...labels,
          })),
        },
      },
      { parent: this, provider: args.provider },
    );
    this.name = this.serviceAccount.metadata.name;
    this.namespace = this.serviceAccount.metadata.namespace;
    this.registerOutputs({ name: this.name, namespace: this.namespace });
  }
}
