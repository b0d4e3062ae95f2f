/**
 * The GCP backend's definition (see `components/backend.ts`): Secret Manager read by Airflow's
 * `CloudSecretManagerBackend`. `resolve` applies every settings rule and the rotation prerequisites
 * to the plan it is handed and registers nothing; `GcpAirflowSecrets` builds from what it returns.
 */
import { Problems, SecretsLayout, SecretsPlan, rotationMasterIds } from "../airflow";
import { secretPrefixCondition } from "./access";
import { AirflowSecretsBackend } from "../backend";
import { standardLabels } from "../core/labels";
import { kubernetesIdentity } from "../kubernetes/serviceAccountNames";
import { checkRotationPrerequisites, checkRotatorPasswordSettings } from "../rotation/prerequisites";
import { GcpAirflowSecrets, GcpResolved } from "./gcpAirflowSecrets";
import { checkGcpTarget, offKubernetesKwargs } from "./offKubernetes";
import { settingsSchema } from "./schema";
import { resolveGcpSettings } from "./settings";

/**
 * GCP refuses an IAM condition with more than 12 logical operators. Airflow's reader condition holds
 * one `||` per extra prefix and `&& !(== || startsWith)` per rotation master it must not read, so
 * too many masters would fail at deployment; found here, with everything else.
 */
const MAX_CONDITION_LOGICAL_OPERATORS = 12;

function checkReaderCondition(plan: SecretsPlan, problems: Problems): void {
  const prefixes = [plan.layout.connectionsPrefix, plan.layout.variablesPrefix, plan.layout.configPrefix]
    .filter((prefix): prefix is string => typeof prefix === "string")
    .map((prefix) => `${prefix}${plan.layout.sep}`);
  const masters = rotationMasterIds(plan.secrets.flatMap((s) => (s.connection ? [s.connection] : [])));
  const excluded = plan.secrets
    .filter((s) => s.kind === "connection" && masters.has(s.id))
    .map((s) => s.name);
  const operators = secretPrefixCondition("0", prefixes, excluded).match(/&&|\|\||!/g)?.length ?? 0;
  problems.check(
    operators <= MAX_CONDITION_LOGICAL_OPERATORS,
    "connections",
    () =>
      `${excluded.length} rotation masters (rotation.masterConnId) would put ${operators} logical operators in Airflow's IAM condition, which GCP limits to ${MAX_CONDITION_LOGICAL_OPERATORS}; share masters between rotated connections`,
  );
}

export const backend: AirflowSecretsBackend<typeof settingsSchema, GcpResolved> = {
  name: "gcp",
  description:
    "GCP Secret Manager with CMEK, Workload Identity, rotation and audit (CloudSecretManagerBackend)",
  settingsSchema,
  planArgs(context, settings) {
    return {
      backend: "gcp-secret-manager",
      environment: context.environment,
      declarations: context.declarations,
      airflow: context.airflow,
      layout: (settings.layout ?? undefined) as Partial<SecretsLayout> | undefined,
      extraKwargs: {
        project_id: settings.project,
        // Off Kubernetes Airflow acts as the reader by impersonation (offKubernetes.ts).
        ...(context.kubernetes === false ? offKubernetesKwargs(context.environment, settings) : {}),
      },
    };
  },
  resolve({ context, settings, plan }, problems) {
    const before = problems.list.length;
    const resolved = resolveGcpSettings(
      {
        environment: context.environment,
        production: context.production,
        owner: context.owner,
        declarations: context.declarations,
        settings,
        now: context.now,
      },
      problems,
    );
    checkRotationPrerequisites(context.declarations, context.airflow, problems);
    // The rotator refuses these at registration; found here, they are reported with everything else.
    checkRotatorPasswordSettings(
      { length: settings.rotation?.passwordLength, excludeCharacters: settings.rotation?.excludeCharacters },
      { length: "gcp.rotation.passwordLength", excludeCharacters: "gcp.rotation.excludeCharacters" },
      problems,
      99,
    );
    if (plan !== undefined) checkReaderCondition(plan, problems);
    checkGcpTarget(settings, context.kubernetes, problems);
    if (resolved === undefined || plan === undefined || problems.list.length > before) return undefined;
    return {
      plan,
      environment: context.environment,
      kubernetes:
        context.kubernetes === false
          ? undefined
          : kubernetesIdentity({ ...context, kubernetes: context.kubernetes }),
      ...(context.kubernetes === false && settings.offKubernetes
        ? { impersonators: settings.offKubernetes.airflowServiceAccounts }
        : {}),
      labels: standardLabels(context.environment, context.owner, resolved.labels),
      settings: resolved,
      rotationMasters: [...rotationMasterIds(context.declarations.connections ?? [])],
    };
  },
  component: GcpAirflowSecrets,
};
