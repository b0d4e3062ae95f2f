/**
 * The GCP backend's definition (see `components/backend.ts`): Secret Manager read by Airflow's
 * `CloudSecretManagerBackend`. `resolve` applies every settings rule and the rotation prerequisites
 * to the plan it is handed and registers nothing; `GcpAirflowSecrets` builds from what it returns.
 */
import { SecretsLayout, rotationMasterIds } from "../airflow";
import { AirflowSecretsBackend } from "../backend";
import { standardLabels } from "../core/labels";
import { checkRotationPrerequisites, checkRotatorPasswordSettings } from "../rotation/prerequisites";
import { GcpAirflowSecrets, GcpResolved } from "./gcpAirflowSecrets";
import { settingsSchema } from "./schema";
import { resolveGcpSettings } from "./settings";

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
      extraKwargs: { project_id: settings.project },
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
    if (resolved === undefined || plan === undefined || problems.list.length > before) return undefined;
    return {
      plan,
      environment: context.environment,
      kubernetes: context.kubernetes,
      labels: standardLabels(context.environment, context.owner, resolved.labels),
      settings: resolved,
      rotationMasters: [...rotationMasterIds(context.declarations.connections ?? [])],
    };
  },
  component: GcpAirflowSecrets,
};
