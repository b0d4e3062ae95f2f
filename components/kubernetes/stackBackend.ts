import { EnvVarSecrets, EnvVarSecretsArgs, validateEnvVarSecretsSettings } from "./envVarSecrets";
import { checkKnownKeys, tryPlanSecrets } from "../airflow";
import { StackBackend } from "../stackBackend";

/** Settings of the env backend (`airflow-secrets:env`). */
export interface EnvBackendSettings {
  /** Name of the Kubernetes Secret; defaults to `airflow-{environment}-secrets`. */
  secretName?: string;
}

/** Connections and variables as `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*` in a Kubernetes Secret. */
export const envStackBackend: StackBackend = {
  name: "env",
  description: "Environment variables from a Kubernetes Secret (EnvironmentVariablesBackend)",
  prepare(context, problems) {
    const settings = context.settings as EnvBackendSettings;
    const args: EnvVarSecretsArgs = {
      environment: context.environment,
      namespace: context.kubernetes.namespace,
      declarations: context.declarations,
      airflow: context.airflow,
      secretName: settings.secretName,
    };
    checkKnownKeys(settings, ["secretName"], "env", problems);
    validateEnvVarSecretsSettings(args, problems);
    // Planned once here; the component uses this plan instead of checking the declarations again.
    args.plan = tryPlanSecrets(
      {
        backend: "env",
        environment: args.environment,
        declarations: args.declarations,
        airflow: args.airflow,
      },
      problems,
    );
    if (!args.plan || !problems.empty) return undefined;
    return {
      deploy(parent) {
        const secrets = new EnvVarSecrets(`${context.environment}-env`, args, { parent });
        return {
          airflowConfig: secrets.plan.airflowConfig,
          outputs: {
            envSecretName: secrets.secret.metadata.name,
            envVariableNames: secrets.variableNames,
            connectionsImportFile: secrets.connectionsImportFile,
          },
        };
      },
    };
  },
};
