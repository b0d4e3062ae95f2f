import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kubernetesLabels } from "../kubernetes/labels";

export interface FernetReencryptJobArgs {
  namespace: pulumi.Input<string>;
  environment: string;
  /** The generation the rotation moves to: the Job is named after it, so it runs once per rotation. */
  generation: string;
  /** Airflow's image, the same as the deployment runs (`apache/airflow:3.1.5`). */
  image: pulumi.Input<string>;
  /** The service account Airflow reads its secrets as (the reader identity). */
  serviceAccountName: pulumi.Input<string>;
  /** The ConfigMap (and the env backend's Secrets) that point Airflow at its secrets backend. */
  configMapName: pulumi.Input<string>;
  envSecretNames?: pulumi.Input<string>[];
  /** The Secret holding the metadata database URL (the Helm chart's `<release>-metadata`) and its key. */
  metadataSecret: { name: pulumi.Input<string>; key: pulumi.Input<string> };
}

/**
 * `airflow rotate-fernet-key` as a Kubernetes Job, run while a Fernet rotation is in progress: the
 * backend already holds `new,old`, so the Job (reading it with the reader identity, as every Airflow
 * component does) re-encrypts every connection and variable in the metadata database with the new key.
 * Pulumi waits for the Job to complete, so `pulumi up` fails when re-encryption fails and the rotation
 * is not ended on a half-done database.
 */
export class FernetReencryptJob extends pulumi.ComponentResource {
  readonly job: k8s.batch.v1.Job;

  constructor(name: string, args: FernetReencryptJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:fernet:FernetReencryptJob", name, {}, opts);
    const envFrom: pulumi.Input<k8s.types.input.core.v1.EnvFromSource>[] = [
      { configMapRef: { name: args.configMapName } },
      ...(args.envSecretNames ?? []).map((name) => ({ secretRef: { name } })),
    ];
    this.job = new k8s.batch.v1.Job(
      `${name}-job`,
      {
        metadata: {
          name: `airflow-${args.environment}-fernet-reencrypt-${args.generation}`,
          namespace: args.namespace,
          labels: kubernetesLabels(args.environment),
        },
        spec: {
          backoffLimit: 2,
          template: {
            spec: {
              restartPolicy: "Never",
              serviceAccountName: args.serviceAccountName,
              containers: [
                {
                  name: "rotate-fernet-key",
                  image: args.image,
                  args: ["airflow", "rotate-fernet-key"],
                  envFrom,
                  env: [
                    {
                      name: "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
                      valueFrom: {
                        secretKeyRef: { name: args.metadataSecret.name, key: args.metadataSecret.key },
                      },
                    },
                  ],
                },
              ],
            },
          },
        },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
