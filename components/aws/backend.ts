/**
 * The AWS backend (`backend: aws`): settings schema, pure resolve, and `AwsAirflowSecrets`.
 */
import { PlanArgs, configKey } from "../airflow";
import type { AirflowSecretsBackend, BackendContext } from "../backend";
import { kubernetesIdentity } from "../kubernetes/serviceAccountNames";
import { crossAccountAccess, crossAccountKwargs } from "./accounts";
import { checkAwsTarget, offKubernetesKwargs } from "./offKubernetes";
import { AwsAirflowSecrets, AwsResolved } from "./awsAirflowSecrets";
import { settingsSchema } from "./schema";
import { DEFAULT_RECOVERY_WINDOW_DAYS, PRODUCTION_RECOVERY_WINDOW_DAYS } from "./secretsManagerStore";
import {
  AwsBackendSettings,
  AwsSettings,
  LAYOUT_PREFIXES,
  auditEnabled,
  checkAwsRotations,
  checkAwsSettings,
  isConfinedPrefix,
  normalizeSettings,
} from "./settings";

/** Where the contract stores the declarations with these (possibly partial) settings. */
function planArgs(context: BackendContext, raw: Partial<AwsBackendSettings>): PlanArgs {
  const settings = normalizeSettings(raw);
  // Across accounts Airflow assumes the reader in the secrets account (accounts.ts says how).
  const crossAccount = crossAccountAccess(context.environment, settings.region, settings.accounts);
  return {
    backend: settings.store === "ssm" ? "aws-ssm" : "aws-secrets-manager",
    environment: context.environment,
    declarations: context.declarations,
    airflow: context.airflow,
    layout: confinedLayout(settings, context.environment),
    extraKwargs:
      settings.region !== undefined
        ? {
            region_name: settings.region,
            ...(crossAccount ? crossAccountKwargs(crossAccount) : {}),
            // Off Kubernetes Airflow assumes the reader with the host's role (offKubernetes.ts).
            ...(context.kubernetes === false ? offKubernetesKwargs(context.environment, settings) : {}),
          }
        : undefined,
  };
}

/**
 * The layout the contract plans with: a prefix that breaks the confinement rule is reported by
 * `resolve` at its own field, so the plan uses the default there instead of failing every name under it.
 */
function confinedLayout(settings: AwsSettings, environment: string): AwsSettings["layout"] {
  const layout = settings.layout;
  if (layout === undefined) return undefined;
  const kept = { ...layout };
  for (const key of LAYOUT_PREFIXES) {
    const prefix = layout[key];
    if (prefix !== undefined && !isConfinedPrefix(prefix, layout.sep, environment)) delete kept[key];
  }
  return kept;
}

export const backend: AirflowSecretsBackend<typeof settingsSchema, AwsResolved> = {
  name: "aws",
  description:
    "AWS Secrets Manager or SSM Parameter Store with KMS, IRSA, CloudTrail audit and Lambda rotation",
  settingsSchema,
  planArgs,
  resolve({ context, settings: raw, complete, plan }, problems) {
    const before = problems.list.length;
    const settings = normalizeSettings(raw);
    checkAwsSettings(settings, context, problems);
    checkAwsTarget(settings, context.kubernetes, problems);
    checkAwsRotations(context, settings, problems);
    if (!complete || plan === undefined || problems.list.length > before) return undefined;

    // The Fernet key: losing it makes every encrypted field in Airflow's metastore unreadable.
    const fernetKeys = new Set(
      (context.declarations.config ?? [])
        .filter((o) => o.section === "core" && o.option === "fernet_key")
        .map((o) => configKey(o, plan.profile.kind)),
    );
    const crossAccount = crossAccountAccess(context.environment, settings.region, settings.accounts);
    return {
      plan,
      ...(crossAccount ? { crossAccount, workloadProviders: ["aws"] } : {}),
      environment: context.environment,
      production: context.production,
      owner: context.owner,
      kubernetes:
        context.kubernetes === false
          ? undefined
          : kubernetesIdentity({ ...context, kubernetes: context.kubernetes }),
      settings,
      recoveryWindowInDays:
        settings.recoveryWindowDays ??
        (context.production ? PRODUCTION_RECOVERY_WINDOW_DAYS : DEFAULT_RECOVERY_WINDOW_DAYS),
      audit: auditEnabled(settings, context.production),
      criticalSecretNames: plan.secrets
        .filter((s) => s.kind === "config" && fernetKeys.has(s.id))
        .map((s) => s.name),
    };
  },
  component: AwsAirflowSecrets,
};
