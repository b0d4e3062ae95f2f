import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AirflowSettings, Problems, SecretsDeclarations, SecretsPlan, planSecrets } from "../airflow";

/** The most a Kubernetes Secret holds (etcd's object limit). */
const SECRET_MAX_BYTES = 1024 * 1024;

export interface EnvVarSecretsArgs {
  /** Environment name (dev, staging, prod), used in names and labels. */
  environment: string;
  namespace: pulumi.Input<string>;
  /** Connections, variables and sensitive config options to expose as environment variables. */
  declarations: SecretsDeclarations;
  airflow: AirflowSettings;
  /** Secret name; defaults to `airflow-{environment}-secrets`. */
  secretName?: string;
  provider?: k8s.Provider;
  /**
   * The plan of exactly these declarations for the env backend, when the caller already made it
   * (`tryPlanSecrets`): the component uses it instead of validating and planning again.
   */
  plan?: SecretsPlan;
}

/**
 * The environment-variable secrets backend: one Kubernetes Secret with `AIRFLOW_CONN_{ID}`,
 * `AIRFLOW_VAR_{KEY}` and `AIRFLOW__{SECTION}__{OPTION}` entries, read by Airflow's
 * `EnvironmentVariablesBackend` (always consulted before the metastore). Mount with `envFrom`.
 */
export class EnvVarSecrets extends pulumi.ComponentResource {
  readonly secret: k8s.core.v1.Secret;
  readonly plan: SecretsPlan;
  /** Names of the environment variables the Secret holds (not secret). */
  readonly variableNames: string[];
  /**
   * The file `airflow connections import` accepts, for a local development metastore
   * (`pulumi stack output connectionsImportFile --show-secrets > connections.json`). Secret.
   */
  readonly connectionsImportFile: pulumi.Output<string>;

  constructor(name: string, args: EnvVarSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    const plan = planEnvVarSecrets(args);
    super("airflow-secrets:kubernetes:EnvVarSecrets", name, {}, opts);
    this.plan = plan;
    this.variableNames = plan.secrets.map((s) => s.name).sort();

    const stringData = plan.valuesByName().apply((data) => {
      const bytes = Object.entries(data).reduce(
        (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
        0,
      );
      if (bytes > SECRET_MAX_BYTES) {
        throw new Error(
          `EnvVarSecrets ${name}: the Secret would hold ${bytes} bytes; Kubernetes allows ${SECRET_MAX_BYTES}`,
        );
      }
      return data;
    });
    this.secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: {
          name: args.secretName ?? `airflow-${args.environment}-secrets`,
          namespace: args.namespace,
          labels: {
            "app.kubernetes.io/part-of": "airflow",
            "app.kubernetes.io/managed-by": "airflow-secrets",
            "airflow-secrets/environment": args.environment,
          },
        },
        type: "Opaque",
        stringData,
      },
      { parent: this, provider: args.provider },
    );

    this.connectionsImportFile = plan.connectionsImportFile();
    this.registerOutputs({ secretName: this.secret.metadata.name, variableNames: this.variableNames });
  }
}

/** The component's own settings (the declarations are the contract's to check). */
export function validateEnvVarSecretsSettings(
  args: Pick<EnvVarSecretsArgs, "secretName">,
  problems: Problems,
): void {
  if (args.secretName !== undefined) {
    problems.check(
      typeof args.secretName === "string" && /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(args.secretName),
      "env.secretName",
      () => `must be a Kubernetes object name: lowercase letters, digits, - and . (got "${args.secretName}")`,
    );
  }
}

/** Validates and plans before the component exists, so a bad declaration registers nothing. */
function planEnvVarSecrets(args: EnvVarSecretsArgs): SecretsPlan {
  const problems = new Problems();
  validateEnvVarSecretsSettings(args, problems);
  const planArgs = {
    backend: "env" as const,
    environment: args.environment,
    declarations: args.declarations,
    airflow: args.airflow,
  };
  if (args.plan === undefined) return planSecrets(planArgs, problems, "EnvVarSecrets");
  problems.check(
    args.plan.profile.kind === "env" && args.plan.environment === args.environment,
    "plan",
    () =>
      `must be the env backend's plan for "${args.environment}" (got ${args.plan!.profile.kind} for "${args.plan!.environment}")`,
  );
  problems.throwIfAny("EnvVarSecrets");
  return args.plan;
}
