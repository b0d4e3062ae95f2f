import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SecretsPlan } from "../airflow";
import type { BackendDeployment, ResolvedBackend } from "../backend";

/** The type token of this component before it moved out of `components/kubernetes/`. */
const PREVIOUS_TYPE = "airflow-secrets:kubernetes:EnvVarSecrets";

/** Everything `EnvAirflowSecrets` builds from, produced by the env backend's `resolve`. */
export interface EnvResolved extends ResolvedBackend {
  /** The env backend's plan of the declarations: one entry per environment variable. */
  plan: SecretsPlan;
  /** Namespace the Secret is created in (Airflow's). */
  namespace: string;
  /** The Secret's name. */
  secretName: string;
  /** The Secret's labels. */
  labels: Record<string, string>;
}

/**
 * The environment-variable secrets backend: one Kubernetes Secret with `AIRFLOW_CONN_{ID}`,
 * `AIRFLOW_VAR_{KEY}` and `AIRFLOW__{SECTION}__{OPTION}` entries, read by Airflow's
 * `EnvironmentVariablesBackend` (always consulted before the metastore). Mount with `envFrom`.
 *
 * Built only from what `resolve` produced (`resolveBackendOrThrow(backend, context, settings)` for a
 * TypeScript program on its own): the constructor checks nothing. The Kubernetes provider comes
 * through the resource options (`{ provider }` or the parent's `providers`).
 */
export class EnvAirflowSecrets extends pulumi.ComponentResource {
  readonly plan: SecretsPlan;
  /** The Kubernetes Secret holding every value. */
  readonly store: k8s.core.v1.Secret;
  /** Names of the environment variables the Secret holds (not secret). */
  readonly variableNames: string[];
  /**
   * The file `airflow connections import` accepts, for a local development metastore
   * (`pulumi stack output connectionsImportFile --show-secrets > connections.json`). Secret.
   */
  readonly connectionsImportFile: pulumi.Output<string>;
  readonly deployment: BackendDeployment;

  constructor(name: string, resolved: EnvResolved, opts?: pulumi.ComponentResourceOptions) {
    super(
      "airflow-secrets:env:EnvAirflowSecrets",
      name,
      {},
      {
        ...opts,
        // Deployed before the move as EnvVarSecrets: the same resource, not a replacement.
        aliases: [...(opts?.aliases ?? []), { type: PREVIOUS_TYPE }],
      },
    );
    this.plan = resolved.plan;
    this.variableNames = resolved.plan.secrets.map((s) => s.name).sort();
    const stringData = resolved.plan.valuesByName();
    this.store = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: { name: resolved.secretName, namespace: resolved.namespace, labels: resolved.labels },
        type: "Opaque",
        stringData,
      },
      { parent: this },
    );
    this.connectionsImportFile = resolved.plan.connectionsImportFile();
    this.deployment = {
      airflowConfig: resolved.plan.airflowConfig,
      // Airflow's pods load this Secret with envFrom (the chart values and the Fernet Job name it).
      envFromSecret: { name: this.store.metadata.name, data: stringData },
      outputs: {
        envSecretName: this.store.metadata.name,
        envVariableNames: this.variableNames,
        connectionsImportFile: this.connectionsImportFile,
      },
    };
    this.registerOutputs({ secretName: this.store.metadata.name, variableNames: this.variableNames });
  }
}
