import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { SecretsPlan } from "../airflow";
import { BackendDeployment, ResolvedBackend } from "../backend";
import type { KubernetesIdentity } from "../kubernetes/serviceAccountNames";
import { SecretManagerAccess } from "./access";
import { SECRET_MANAGER_SERVICE, SecretManagerAudit } from "./audit";
import { SecretManagerKeys } from "./kms";
import { RotatedSecret, RotationTopic, SecretRotator } from "./rotation";
import { SecretManagerStore } from "./secretStore";
import { ResolvedGcpSettings } from "./settings";

/** What `backend.resolve` hands the component: everything checked, every default applied. */
export interface GcpResolved extends ResolvedBackend {
  /** The one plan of what is stored where (built from, never planned again). */
  plan: SecretsPlan;
  /** Environment name (dev, staging, prod): in every secret id and account id. */
  environment: string;
  /** Airflow's namespace and Kubernetes service accounts (each bound through Workload Identity); absent off Kubernetes. */
  kubernetes?: KubernetesIdentity;
  /** Off Kubernetes: the service accounts Airflow runs as, which may impersonate the reader. */
  impersonators?: string[];
  /** Labels of every resource that takes them: the stack's own and the standard ones. */
  labels: Record<string, string>;
  settings: ResolvedGcpSettings;
  /** conn_ids only the rotator reads (alternating users' masters): Airflow gets no access to them. */
  rotationMasters: string[];
}

/**
 * One environment's Airflow secrets in GCP Secret Manager: CMEK-encrypted secrets named exactly as
 * `CloudSecretManagerBackend` looks them up, Airflow's Workload Identity service account with access to
 * those secrets only, a CI writer that cannot read, Secret Manager rotation with a Cloud Function that
 * rotates database passwords, and audit logging with an alert on denied or not-found lookups.
 */
export class GcpAirflowSecrets extends pulumi.ComponentResource {
  readonly plan: SecretsPlan;
  readonly keys: SecretManagerKeys;
  readonly store: SecretManagerStore;
  readonly access: SecretManagerAccess;
  /** Only with rotated connections: the topic Secret Manager publishes to and the function it triggers. */
  readonly rotation?: { topic: RotationTopic; rotator: SecretRotator };
  readonly audit?: SecretManagerAudit;
  /** What the environment reads: Airflow's configuration, the Workload Identity annotation, outputs. */
  readonly deployment: BackendDeployment;

  /**
   * Builds from `resolved` (from `backend.resolve`, or `resolveBackendOrThrow(backend, …)`) and checks
   * nothing: every rule ran there, before anything was registered.
   */
  constructor(name: string, resolved: GcpResolved, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:gcp:GcpAirflowSecrets", name, {}, opts);
    const { plan, settings, labels, environment } = resolved;
    this.plan = plan;
    const { project } = settings;

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
        existing: settings.kms.existing,
        serviceAgentMember: agent.member,
        labels,
        protect: settings.kms.protect,
      },
      { parent: this },
    );

    const schedules = settings.rotation.schedules;
    const rotatedIds = Object.keys(schedules);
    const rotationTopic =
      rotatedIds.length > 0
        ? new RotationTopic(
            `${name}-rotation`,
            { project, environment, serviceAgentMember: agent.member, labels },
            { parent: this },
          )
        : undefined;

    this.store = new SecretManagerStore(
      `${name}-store`,
      {
        project,
        secrets: plan.secrets,
        keys: this.keys.keys,
        labels,
        versionDestroyTtl: settings.versionDestroyTtl,
        protectConfig: settings.kms.protect,
        rotation: rotationTopic
          ? {
              topic: rotationTopic.topicName,
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
        dependsOn: [...this.keys.grants, ...(rotationTopic ? [rotationTopic.publisherGrant] : [])],
      },
      { parent: this },
    );
    const stored = Object.values(this.store.stored);
    const masters = new Set(resolved.rotationMasters);

    this.access = new SecretManagerAccess(
      `${name}-access`,
      {
        project,
        projectNumber,
        environment,
        namePrefixes: [plan.layout.connectionsPrefix, plan.layout.variablesPrefix, plan.layout.configPrefix]
          .filter((prefix): prefix is string => typeof prefix === "string")
          .map((prefix) => `${prefix}${plan.layout.sep}`),
        secrets: stored.map((s) => ({
          name: s.planned.name,
          secretId: s.secret.id,
          readByAirflow: !(s.planned.kind === "connection" && masters.has(s.planned.id)),
        })),
        kubernetes: resolved.kubernetes ?? { namespace: "", serviceAccounts: [] },
        impersonators: resolved.impersonators,
        workloadIdentityPool: settings.workloadIdentityPool,
        airflowAccountId: settings.airflowAccountId,
        ciWriter: settings.ciWriter.enabled ? settings.ciWriter : undefined,
      },
      { parent: this },
    );

    if (rotationTopic) {
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
      const rotator = new SecretRotator(
        `${name}-rotator`,
        {
          project,
          projectNumber,
          environment,
          region: settings.rotation.region,
          rotated,
          topic: rotationTopic.topicName,
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
      this.rotation = { topic: rotationTopic, rotator };
    }

    if (settings.audit.enabled) {
      const audit = settings.audit;
      this.audit = new SecretManagerAudit(
        `${name}-audit`,
        {
          project,
          environment,
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

    this.deployment = {
      airflowConfig: plan.airflowConfig,
      serviceAccountAnnotations: this.access.serviceAccountAnnotations,
      // Only what exists: a stack without rotation or audit has no topic or alert to report.
      outputs: Object.fromEntries(
        Object.entries({
          gcpProject: project,
          secretIds: plan.secrets.map((s) => s.name),
          kmsKeys: this.keys.keys,
          airflowServiceAccount: this.access.airflowServiceAccount.email,
          ciWriterServiceAccount: this.access.ciWriterServiceAccount?.email,
          rotationTopic: this.rotation?.topic.topicName,
          rotatorFunction: this.rotation?.rotator.function.name,
          auditDestination: this.audit?.destination,
          auditAlertPolicy: this.audit?.alertPolicy.name,
        }).filter(([, value]) => value !== undefined),
      ),
      // A name per secret: exported by the stack, kept out of component state.
      perDeclarationOutputs: ["secretIds"],
    };
    // The secret names are the stack output `secretIds` (one copy in state).
    this.registerOutputs({ airflowServiceAccountEmail: this.access.airflowServiceAccount.email });
  }
}
