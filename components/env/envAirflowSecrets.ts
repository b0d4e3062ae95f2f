import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SecretsPlan } from "../airflow";
import type { BackendDeployment, ResolvedBackend } from "../backend";
import type { EnvSecretShard } from "./shards";

/** The type token of this component before it moved out of `components/kubernetes/`. */
const PREVIOUS_TYPE = "airflow-secrets:kubernetes:EnvVarSecrets";

/** Everything `EnvAirflowSecrets` builds from, produced by the env backend's `resolve`. */
export interface EnvResolved extends ResolvedBackend {
  /** The env backend's plan of the declarations: one entry per environment variable. */
  plan: SecretsPlan;
  /** Namespace the Secret is created in (Airflow's). */
  namespace: string;
  /**
   * The Secrets and which variables each holds (shards.ts): one, named as configured, unless 1 MiB
   * cannot hold every value; the others add `-1`, `-2`… to the name.
   */
  shards: EnvSecretShard[];
  /** The Secret's labels. */
  labels: Record<string, string>;
}

/**
 * The environment-variable secrets backend: Kubernetes Secrets with `AIRFLOW_CONN_{ID}`,
 * `AIRFLOW_VAR_{KEY}` and `AIRFLOW__{SECTION}__{OPTION}` entries, read by Airflow's
 * `EnvironmentVariablesBackend` (always consulted before the metastore). Mount each with `envFrom`.
 * One Secret unless the values exceed Kubernetes' 1 MiB per Secret; then the variables are spread
 * by a stable hash (shards.ts) and the first Secret keeps its name and URN.
 *
 * Built only from what `resolve` produced (`resolveBackendOrThrow(backend, context, settings)` for a
 * TypeScript program on its own): the constructor checks nothing. The Kubernetes provider comes
 * through the resource options (`{ provider }` or the parent's `providers`).
 */
export class EnvAirflowSecrets extends pulumi.ComponentResource {
  readonly plan: SecretsPlan;
  /** The first Kubernetes Secret (the only one unless the values exceed 1 MiB). */
  readonly store: k8s.core.v1.Secret;
  /** Every Kubernetes Secret, the first being `store`. */
  readonly stores: k8s.core.v1.Secret[];
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
    const all = resolved.plan.valuesByName();
    const single = resolved.shards.length === 1;
    const secrets = resolved.shards.map((shard) => {
      // The one Secret takes the plan's map as it is; a shard picks its own names out of it.
      const data = single
        ? all
        : all.apply((values) => Object.fromEntries(shard.variableNames.map((n) => [n, values[n]])));
      const secret = new k8s.core.v1.Secret(
        // The first keeps the name (and URN) it had before there could be more than one.
        shard.index === 0 ? `${name}-secret` : `${name}-secret-${shard.index}`,
        {
          metadata: { name: shard.secretName, namespace: resolved.namespace, labels: resolved.labels },
          type: "Opaque",
          stringData: data,
        },
        { parent: this },
      );
      return { secret, data };
    });
    this.stores = secrets.map((s) => s.secret);
    this.store = this.stores[0];
    this.connectionsImportFile = resolved.plan.connectionsImportFile();
    this.deployment = {
      airflowConfig: resolved.plan.airflowConfig,
      // Airflow's pods load these Secrets with envFrom (the chart values and the Fernet Job list them).
      envFromSecrets: secrets.map(({ secret, data }) => ({ name: secret.metadata.name, data })),
      outputs: {
        envSecretName: this.store.metadata.name,
        ...(single ? {} : { envSecretNames: this.stores.map((s) => s.metadata.name) }),
        envVariableNames: this.variableNames,
        connectionsImportFile: this.connectionsImportFile,
      },
      // A name per variable and a file of every connection: exported by the stack only (README, "Outputs").
      perDeclarationOutputs: ["envVariableNames", "connectionsImportFile"],
    };
    // The Secret's name; the variable names are the `envVariableNames` stack output (one copy in state).
    this.registerOutputs({ secretName: this.store.metadata.name });
  }
}
