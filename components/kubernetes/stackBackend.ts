import { EnvVarSecrets, EnvVarSecretsArgs, validateEnvVarSecretsSettings } from "./envVarSecrets";
import { Problems, SecretsDeclarations, isKnown, tryPlanSecrets } from "../airflow";
import { parseSettingsSalvaging } from "../core/schema";
import { StackBackend } from "../stackBackend";
import { settingsSchema } from "./schema";

export type { EnvBackendSettings, EnvBackendSettingsInput } from "./schema";

/** The most a Kubernetes Secret holds (etcd's object limit). */
export const SECRET_MAX_BYTES = 1024 * 1024;

/**
 * The bytes the Secret holds at least: each variable name plus every value known now (stack-file
 * values are). Encoding only adds (JSON quoting, percent-encoding), so more than the limit here is
 * certain to be refused by the API server, and is reported before anything is registered.
 */
function knownSecretBytes(names: readonly string[], declarations: SecretsDeclarations): number {
  const bytes = (value: unknown): number => {
    if (!isKnown(value)) return 0;
    if (typeof value === "string") return Buffer.byteLength(value);
    if (typeof value === "number") return String(value).length;
    if (typeof value === "object" && value !== null)
      return Object.entries(value).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + bytes(v), 0);
    return 0;
  };
  return (
    names.reduce((sum, name) => sum + Buffer.byteLength(name), 0) +
    (declarations.connections ?? []).reduce(
      (sum, c) => sum + bytes({ ...c, conn_id: undefined, rotation: undefined, description: undefined }),
      0,
    ) +
    (declarations.variables ?? []).reduce((sum, v) => sum + bytes(v.value), 0) +
    (declarations.config ?? []).reduce((sum, o) => sum + bytes(o.value), 0)
  );
}

function checkSecretSize(
  names: readonly string[],
  declarations: SecretsDeclarations,
  problems: Problems,
): void {
  const total = knownSecretBytes(names, declarations);
  problems.check(
    total <= SECRET_MAX_BYTES,
    "connections",
    () =>
      `the env backend's Kubernetes Secret would hold at least ${total} bytes; Kubernetes allows ${SECRET_MAX_BYTES} (1 MiB): move large values to another backend`,
  );
}

/** Connections and variables as `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*` in a Kubernetes Secret. */
export const envStackBackend: StackBackend = {
  name: "env",
  description: "Environment variables from a Kubernetes Secret (EnvironmentVariablesBackend)",
  prepare(context, problems) {
    const parsed = parseSettingsSalvaging(settingsSchema, context.settings ?? {}, "env", problems);
    const settings = parsed.value ?? {};
    const args: EnvVarSecretsArgs = {
      environment: context.environment,
      namespace: context.kubernetes.namespace,
      declarations: context.declarations,
      airflow: context.airflow,
      secretName: settings.secretName,
    };
    const ruleProblems = new Problems();
    validateEnvVarSecretsSettings(args, ruleProblems);
    parsed.report(ruleProblems);
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
    if (args.plan)
      checkSecretSize(
        args.plan.secrets.map((s) => s.name),
        args.declarations,
        problems,
      );
    if (!args.plan || !parsed.ok || !problems.empty) return undefined;
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
