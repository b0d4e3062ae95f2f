import { StackBackend } from "../stackBackend";
import { GcpAirflowSecrets, GcpAirflowSecretsArgs, prepareGcpSecrets } from "./gcpAirflowSecrets";
import { GcpBackendSettings } from "./settings";

/** GCP Secret Manager read by Airflow's `CloudSecretManagerBackend` (`airflow-secrets:gcp` settings). */
export const gcpStackBackend: StackBackend = {
  name: "gcp",
  description:
    "GCP Secret Manager with CMEK, Workload Identity, rotation and audit (CloudSecretManagerBackend)",
  prepare(context, problems) {
    const args: GcpAirflowSecretsArgs = {
      ...context,
      settings: context.settings as unknown as GcpBackendSettings,
    };
    if (!prepareGcpSecrets(args, problems)) return undefined;
    return {
      deploy(parent) {
        const secrets = new GcpAirflowSecrets(`${context.environment}-gcp`, args, { parent });
        return {
          airflowConfig: secrets.plan.airflowConfig,
          serviceAccountAnnotations: secrets.serviceAccountAnnotations,
          // Only what exists: a stack without rotation or audit has no topic or alert to report.
          outputs: Object.fromEntries(
            Object.entries({
              gcpProject: secrets.settings.project,
              secretIds: secrets.plan.secrets.map((s) => s.name),
              kmsKeys: secrets.keys.keys,
              airflowServiceAccount: secrets.access.airflowServiceAccount.email,
              ciWriterServiceAccount: secrets.access.ciWriterServiceAccount?.email,
              rotationTopic: secrets.rotationTopic?.topicName,
              rotatorFunction: secrets.rotator?.function.name,
              auditDestination: secrets.audit?.destination,
              auditAlertPolicy: secrets.audit?.alertPolicy.name,
            }).filter(([, value]) => value !== undefined),
          ),
        };
      },
    };
  },
};
