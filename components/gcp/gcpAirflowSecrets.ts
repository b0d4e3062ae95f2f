import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import {
  AirflowSettings,
  PlanArgs,
  Problems,
  SecretsDeclarations,
  SecretsPlan,
  defaultConnectionFormat,
  parseAirflowVersion,
  planSecrets,
  rotationMasterIds,
  validatePlan,
} from "../airflow";
import { driverFor } from "../rotation/driver";
import { KubernetesSettings } from "../stackBackend";
import { SecretManagerAccess } from "./access";
import { SECRET_MANAGER_SERVICE, SecretManagerAudit } from "./audit";
import { SecretManagerKeys } from "./kms";
import { RotatedSecret, RotationTopic, SecretRotator } from "./rotation";
import { SecretManagerStore } from "./secretStore";
import { GcpBackendSettings, ResolvedGcpSettings, resolveGcpSettings } from "./settings";

export interface GcpAirflowSecretsArgs {
  /** Environment name (dev, staging, prod): in every secret id, account id and label. */
  environment: string;
  /** Stricter defaults: protected KMS keys and Fernet secret, delayed version destruction, mandatory alerting. Default `environment === "prod"`. */
  production?: boolean;
  /** Team owning the secrets (the `owner` label). */
  owner?: string;
  declarations: SecretsDeclarations;
  airflow: AirflowSettings;
  /** Airflow's namespace and Kubernetes service account (bound through Workload Identity). */
  kubernetes: KubernetesSettings;
  /** The backend settings (stack config `airflow-secrets:gcp`). */
  settings: GcpBackendSettings;
  /** Clock for "next rotation in the future" checks and default rotation slots. Default: now. */
  now?: Date;
}

export interface PreparedGcpSecrets {
  settings: ResolvedGcpSettings;
  planArgs: PlanArgs;
}

/** The rotator reads and writes Airflow's JSON connection shape through the rotation core's drivers. */
function checkRotatable(args: GcpAirflowSecretsArgs, problems: Problems): void {
  const rotated = (args.declarations?.connections ?? []).filter((c) => c?.rotation !== undefined);
  if (rotated.length === 0) return;
  const version = parseAirflowVersion(args.airflow?.version, new Problems());
  if (version && defaultConnectionFormat(args.airflow, version) === "uri") {
    problems.add(
      "airflow.connectionFormat",
      "rotated connections are stored as JSON (Airflow 2.3+), which the rotator rewrites field by field; URI values cannot be rotated",
    );
  }
  for (const conn of rotated) {
    try {
      driverFor(conn.conn_type, `connections[${conn.conn_id}]`);
    } catch (error) {
      problems.add(
        `connections[${conn.conn_id}].rotation`,
        error instanceof Error ? error.message.replace(/^[A-Z_]+: /, "") : String(error),
      );
    }
  }
}

/** Validation only (the prepare phase): every problem with the settings and the declarations, nothing registered. */
export function prepareGcpSecrets(
  args: GcpAirflowSecretsArgs,
  problems: Problems,
): PreparedGcpSecrets | undefined {
  const production = args.production ?? args.environment === "prod";
  const settings = resolveGcpSettings(
    {
      environment: args.environment,
      production,
      owner: args.owner,
      declarations: args.declarations,
      settings: args.settings,
      now: args.now,
    },
    problems,
  );
  const planArgs: PlanArgs = {
    backend: "gcp-secret-manager",
    environment: args.environment,
    declarations: args.declarations,
    airflow: args.airflow,
    layout: settings?.layout,
    extraKwargs: { project_id: args.settings?.project },
  };
  const planValid = validatePlan(planArgs, problems);
  checkRotatable(args, problems);
  return settings && planValid ? { settings, planArgs } : undefined;
}

/**
 * One environment's Airflow secrets in GCP Secret Manager: CMEK-encrypted secrets named exactly as
 * `CloudSecretManagerBackend` looks them up, Airflow's Workload Identity service account with access to
 * those secrets only, a CI writer that cannot read, Secret Manager rotation with a Cloud Function that
 * rotates database passwords, and audit logging with an alert on denied or not-found lookups.
 */
export class GcpAirflowSecrets extends pulumi.ComponentResource {
  readonly plan: SecretsPlan;
  readonly settings: ResolvedGcpSettings;
  readonly keys: SecretManagerKeys;
  readonly store: SecretManagerStore;
  readonly access: SecretManagerAccess;
  readonly rotationTopic?: RotationTopic;
  readonly rotator?: SecretRotator;
  readonly audit?: SecretManagerAudit;
  /** Annotations for Airflow's Kubernetes service account (`iam.gke.io/gcp-service-account`). */
  readonly serviceAccountAnnotations: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: GcpAirflowSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = new Problems();
    const prepared = prepareGcpSecrets(args, problems);
    problems.throwIfAny(`GCP Airflow secrets "${args.environment}"`);
    const { settings, planArgs } = prepared!;
    const plan = planSecrets(planArgs);
    super("airflow-secrets:gcp:GcpAirflowSecrets", name, {}, opts);
    this.plan = plan;
    this.settings = settings;
    const { project } = settings;
    const labels: Record<string, string> = {
      ...settings.labels,
      env: args.environment,
      "managed-by": "airflow-secrets",
      ...(args.owner ? { owner: args.owner } : {}),
    };

    const projectNumber =
      settings.projectNumber ??
      gcp.organizations.getProjectOutput({ projectId: project }, { parent: this }).apply((p) => p.number);
    const agent = new gcp.projects.ServiceIdentity(
      `${name}-secretmanager-agent`,
      { project, service: SECRET_MANAGER_SERVICE },
      { parent: this },
    );

    this.keys = new SecretManagerKeys(
      `${name}-kms`,
      {
        project,
        locations: settings.locations,
        rotationPeriod: settings.kms.rotationPeriod,
        keyRingName: settings.kms.keyRingName,
        keyName: settings.kms.keyName,
        existingKeys: settings.kms.existingKeys,
        existingKeyRings: settings.kms.existingKeyRings,
        serviceAgentMember: agent.member,
        labels,
        protect: settings.kms.protect,
      },
      { parent: this },
    );

    const schedules = settings.rotation.schedules;
    const rotatedIds = Object.keys(schedules);
    if (rotatedIds.length > 0) {
      this.rotationTopic = new RotationTopic(
        `${name}-rotation`,
        { project, environment: args.environment, serviceAgentMember: agent.member, labels },
        { parent: this },
      );
    }

    this.store = new SecretManagerStore(
      `${name}-store`,
      {
        project,
        secrets: plan.secrets,
        keys: this.keys.keys,
        labels,
        versionDestroyTtl: settings.versionDestroyTtl,
        protectConfig: settings.kms.protect,
        rotation: this.rotationTopic
          ? {
              topic: this.rotationTopic.topicName,
              schedules: Object.fromEntries(
                rotatedIds.map((id) => [
                  id,
                  {
                    rotationPeriod: schedules[id].rotationPeriod,
                    nextRotationTime: schedules[id].nextRotationTime,
                  },
                ]),
              ),
            }
          : undefined,
        dependsOn: [...this.keys.grants, ...(this.rotationTopic ? [this.rotationTopic.publisherGrant] : [])],
      },
      { parent: this },
    );
    const stored = Object.values(this.store.stored);
    const masters = rotationMasterIds(args.declarations.connections ?? []);

    this.access = new SecretManagerAccess(
      `${name}-access`,
      {
        project,
        projectNumber,
        environment: args.environment,
        namePrefixes: [plan.layout.connectionsPrefix, plan.layout.variablesPrefix, plan.layout.configPrefix]
          .filter((prefix): prefix is string => typeof prefix === "string")
          .map((prefix) => `${prefix}${plan.layout.sep}`),
        secrets: stored.map((s) => ({
          name: s.planned.name,
          secretId: s.secret.id,
          readByAirflow: !(s.planned.kind === "connection" && masters.has(s.planned.id)),
        })),
        kubernetes: args.kubernetes,
        workloadIdentityPool: settings.workloadIdentityPool,
        airflowAccountId: settings.airflowAccountId,
        ciWriter: settings.ciWriter.enabled ? settings.ciWriter : undefined,
      },
      { parent: this },
    );

    if (this.rotationTopic) {
      const byConnId = new Map(
        stored.filter((s) => s.planned.kind === "connection").map((s) => [s.planned.id, s]),
      );
      const rotated: RotatedSecret[] = rotatedIds.map((connId) => {
        const entry = byConnId.get(connId)!;
        const declaration = schedules[connId].declaration;
        const master =
          declaration.masterConnId !== undefined ? byConnId.get(declaration.masterConnId) : undefined;
        return {
          connId,
          name: entry.planned.name,
          secretId: entry.secret.id,
          strategy: declaration.strategy,
          master: master ? { name: master.planned.name, secretId: master.secret.id } : undefined,
        };
      });
      this.rotator = new SecretRotator(
        `${name}-rotator`,
        {
          project,
          projectNumber,
          environment: args.environment,
          region: settings.rotation.region,
          rotated,
          topic: this.rotationTopic.topicName,
          accountId: settings.rotation.accountId,
          sourceBucket: settings.rotation.sourceBucket,
          vpcConnector: settings.rotation.vpcConnector,
          vpcConnectorEgress: settings.rotation.vpcConnectorEgress,
          timeoutSeconds: settings.rotation.timeoutSeconds,
          password: {
            length: settings.rotation.passwordLength,
            excludeCharacters: settings.rotation.excludeCharacters,
          },
          labels,
          forceDestroySourceBucket: !settings.kms.protect,
          buildServiceAccount: settings.rotation.buildServiceAccount,
        },
        { parent: this },
      );
    }

    if (settings.audit.enabled) {
      const audit = settings.audit;
      this.audit = new SecretManagerAudit(
        `${name}-audit`,
        {
          project,
          environment: args.environment,
          prefixes: [plan.layout.connectionsPrefix, plan.layout.variablesPrefix, plan.layout.configPrefix],
          sink:
            audit.sinkType === "bucket"
              ? {
                  type: "bucket",
                  name: audit.bucketName,
                  location: audit.sinkLocation,
                  retentionDays: audit.retentionDays,
                }
              : {
                  type: "bigquery",
                  datasetId: audit.datasetId,
                  location: audit.sinkLocation,
                  retentionDays: audit.retentionDays,
                },
          airflowServiceAccountEmail: this.access.airflowServiceAccount.email,
          notificationChannels: audit.notificationChannels,
          notFoundThreshold: audit.notFoundThreshold,
          windowSeconds: audit.windowSeconds,
          labels,
          protect: settings.kms.protect,
        },
        { parent: this },
      );
    }

    this.serviceAccountAnnotations = this.access.serviceAccountAnnotations;
    this.registerOutputs({
      secretNames: this.store.secretNames,
      airflowServiceAccountEmail: this.access.airflowServiceAccount.email,
    });
  }
}
