import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "../airflow";
import { SECRET_ACCESSOR, SECRET_VERSION_ADDER } from "./access";
import { ROTATOR_ENTRY_POINT, ROTATOR_RUNTIME, bundleRotator } from "./rotator/bundle";
import { rotatorPasswordPolicy } from "../rotation/config";
import { checkRotatorPasswordSettings } from "../rotation/prerequisites";
import type { RotationStrategy } from "../rotation/strategy";
import { ROTATOR_CONFIG_ENV, RotatorConfig } from "./rotator/config";

export const PUBSUB_PUBLISHER = "roles/pubsub.publisher";
/** Metadata only (version create times, for the rotator's idempotency check); never payloads. */
export const SECRET_VIEWER = "roles/secretmanager.viewer";
export const RUN_INVOKER = "roles/run.invoker";
/** Eventarc's event type for a message published to a Pub/Sub topic. */
export const PUBSUB_MESSAGE_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished";

export interface RotationTopicArgs {
  project: string;
  environment: string;
  /** Secret Manager's service agent member: it publishes the SECRET_ROTATE messages. */
  serviceAgentMember: pulumi.Input<string>;
  labels?: Record<string, string>;
}

/**
 * The Pub/Sub topic rotated secrets publish to, and Secret Manager's service agent allowed to publish.
 * Secret Manager checks that permission when a secret with the topic is created, so secrets depend on
 * `publisherGrant`.
 */
export class RotationTopic extends pulumi.ComponentResource {
  readonly topic: gcp.pubsub.Topic;
  /** Full name, `projects/P/topics/T`, as a secret's `topics[].name`. */
  readonly topicName: pulumi.Output<string>;
  readonly publisherGrant: gcp.pubsub.TopicIAMMember;

  constructor(name: string, args: RotationTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:gcp:RotationTopic", name, {}, opts);
    this.topic = new gcp.pubsub.Topic(
      `${name}-topic`,
      { project: args.project, name: `airflow-${args.environment}-secret-rotation`, labels: args.labels },
      { parent: this },
    );
    this.topicName = pulumi.interpolate`projects/${args.project}/topics/${this.topic.name}`;
    this.publisherGrant = new gcp.pubsub.TopicIAMMember(
      `${name}-secretmanager-publisher`,
      {
        project: args.project,
        topic: this.topic.name,
        role: PUBSUB_PUBLISHER,
        member: args.serviceAgentMember,
      },
      { parent: this },
    );
    this.registerOutputs({ topicName: this.topicName });
  }
}

/** A rotated secret the function manages. */
export interface RotatedSecret {
  connId: string;
  /** Secret id (storage name). */
  name: string;
  /** The secret's id output, so grants wait for the secret. */
  secretId: pulumi.Input<string>;
  strategy: RotationStrategy;
  /** Alternating users: the master connection's secret (read-only for the function). */
  master?: { name: string; secretId: pulumi.Input<string> };
}

export interface SecretRotatorArgs {
  project: string;
  /** Project number: Secret Manager names secrets `projects/{number}/secrets/{id}` in its messages. */
  projectNumber: pulumi.Input<string>;
  environment: string;
  /** Region of the function and its source bucket. */
  region: string;
  rotated: RotatedSecret[];
  /** Full topic name the secrets publish SECRET_ROTATE to. */
  topic: pulumi.Input<string>;
  /** Service account id of the function (its runtime and its trigger identity). */
  accountId: string;
  /** Bucket for the function source (created here, uniform access, public access prevented). */
  sourceBucket: string;
  /** Serverless VPC Access connector for databases on private addresses. */
  vpcConnector?: string;
  vpcConnectorEgress?: "PRIVATE_RANGES_ONLY" | "ALL_TRAFFIC";
  /** Function timeout in seconds. Default 120. */
  timeoutSeconds?: number;
  password?: { length?: number; excludeCharacters?: string };
  labels?: Record<string, string>;
  /** Let `pulumi destroy` delete the source bucket with its objects (non-production). */
  forceDestroySourceBucket?: boolean;
  /** Cloud Build service account for the function build (`projects/P/serviceAccounts/EMAIL`); default: the platform's. */
  buildServiceAccount?: string;
}

function validate(args: SecretRotatorArgs): void {
  const problems = new Problems();
  problems.check(args.rotated.length > 0, "rotated", "must list at least one rotated secret");
  for (const r of args.rotated) {
    if (r.strategy === "alternating-users") {
      problems.check(
        r.master !== undefined,
        `rotated[${r.connId}].master`,
        "alternating users need the master connection's secret",
      );
    }
  }
  problems.check(
    /^[a-z]+-[a-z]+[0-9]+$/.test(args.region),
    "region",
    `must be a Cloud Functions region (got "${args.region}")`,
  );
  checkRotatorPasswordSettings(
    { length: args.password?.length, excludeCharacters: args.password?.excludeCharacters },
    { length: "password.length", excludeCharacters: "password.excludeCharacters" },
    problems,
  );
  const timeout = args.timeoutSeconds ?? 120;
  problems.check(
    Number.isInteger(timeout) && timeout >= 60 && timeout <= 540,
    "timeoutSeconds",
    `must be whole seconds from 60 to 540 (got ${timeout})`,
  );
  problems.throwIfAny("SecretRotator");
}

/**
 * Cloud Functions (2nd gen) rotator: triggered by the rotation topic through Eventarc, it changes the
 * database password with the shared rotation core and adds the new secret version. It runs as its own
 * service account, which may read and add versions of the rotated secrets only (and read their masters).
 * One instance handling one event at a time: duplicate deliveries of a message are processed one after
 * the other, so the handler's idempotency check always sees the previous attempt's version.
 */
export class SecretRotator extends pulumi.ComponentResource {
  readonly serviceAccount: gcp.serviceaccount.Account;
  readonly function: gcp.cloudfunctionsv2.Function;
  readonly sourceObject: gcp.storage.BucketObject;

  constructor(name: string, args: SecretRotatorArgs, opts?: pulumi.ComponentResourceOptions) {
    validate(args);
    super("airflow-secrets:gcp:SecretRotator", name, {}, opts);

    this.serviceAccount = new gcp.serviceaccount.Account(
      `${name}-sa`,
      {
        project: args.project,
        accountId: args.accountId,
        displayName: `Airflow ${args.environment} secret rotator`,
        description: "Rotates database passwords of rotated Airflow connections (Cloud Function)",
      },
      { parent: this },
    );
    // One authoritative IAM policy per rotated secret (and per master it reads) holding every role
    // the function needs there, instead of one member per role: the function reaches exactly these
    // secrets. Airflow's reader and the CI writer are granted on the project (conditioned on the
    // environment's prefix), which a secret's own policy does not override.
    const rotatedNames = new Set(args.rotated.map((r) => r.name));
    const policies = new Map<string, { secretId: pulumi.Input<string>; roles: string[] }>();
    for (const r of args.rotated)
      policies.set(r.name, {
        secretId: r.secretId,
        roles: [SECRET_ACCESSOR, SECRET_VERSION_ADDER, SECRET_VIEWER],
      });
    for (const r of args.rotated) {
      if (r.master && !rotatedNames.has(r.master.name))
        policies.set(r.master.name, { secretId: r.master.secretId, roles: [SECRET_ACCESSOR] });
    }
    const member = this.serviceAccount.member;
    for (const [secretName, { secretId, roles }] of policies) {
      new gcp.secretmanager.SecretIamPolicy(
        `${name}-policy-${secretName}`,
        {
          project: args.project,
          secretId,
          policyData: member.apply((m) =>
            JSON.stringify({ bindings: roles.map((role) => ({ role, members: [m] })) }),
          ),
        },
        { parent: this },
      );
    }

    const bucket = new gcp.storage.Bucket(
      `${name}-source`,
      {
        project: args.project,
        name: args.sourceBucket,
        location: args.region,
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        forceDestroy: args.forceDestroySourceBucket === true,
        labels: args.labels,
      },
      { parent: this },
    );
    const bundle = bundleRotator();
    this.sourceObject = new gcp.storage.BucketObject(
      `${name}-source-archive`,
      {
        bucket: bucket.name,
        name: `rotator-${bundle.sha256.slice(0, 16)}.zip`,
        source: bundle.archive(),
        contentType: "application/zip",
        metadata: { "source-sha256": bundle.sha256 },
      },
      { parent: this },
    );

    const config = pulumi.output(args.projectNumber).apply((projectNumber) => {
      const rotatorConfig: RotatorConfig = {
        projectId: args.project,
        projectNumber,
        secrets: Object.fromEntries(
          args.rotated.map((r) => [
            r.name,
            { connId: r.connId, strategy: r.strategy, ...(r.master ? { master: r.master.name } : {}) },
          ]),
        ),
        password: rotatorPasswordPolicy(args.password),
      };
      return JSON.stringify(rotatorConfig);
    });

    this.function = new gcp.cloudfunctionsv2.Function(
      `${name}-function`,
      {
        project: args.project,
        location: args.region,
        name: `airflow-${args.environment}-secret-rotator`,
        description: `Rotates the database passwords of Airflow ${args.environment} connections on Secret Manager's SECRET_ROTATE events`,
        labels: args.labels,
        buildConfig: {
          runtime: ROTATOR_RUNTIME,
          entryPoint: ROTATOR_ENTRY_POINT,
          source: { storageSource: { bucket: bucket.name, object: this.sourceObject.name } },
          serviceAccount: args.buildServiceAccount,
        },
        serviceConfig: {
          serviceAccountEmail: this.serviceAccount.email,
          maxInstanceCount: 1,
          maxInstanceRequestConcurrency: 1,
          availableMemory: "256M",
          timeoutSeconds: args.timeoutSeconds ?? 120,
          ingressSettings: "ALLOW_INTERNAL_ONLY",
          allTrafficOnLatestRevision: true,
          environmentVariables: { [ROTATOR_CONFIG_ENV]: config },
          ...(args.vpcConnector
            ? {
                vpcConnector: args.vpcConnector,
                vpcConnectorEgressSettings: args.vpcConnectorEgress ?? "PRIVATE_RANGES_ONLY",
              }
            : {}),
        },
        eventTrigger: {
          eventType: PUBSUB_MESSAGE_PUBLISHED,
          pubsubTopic: args.topic,
          triggerRegion: args.region,
          // A failed rotation (database unreachable) is retried; a finished one is recognised and skipped.
          retryPolicy: "RETRY_POLICY_RETRY",
          serviceAccountEmail: this.serviceAccount.email,
        },
      },
      { parent: this },
    );
    // Eventarc delivers as the trigger identity, which must be allowed to invoke the function's service.
    new gcp.cloudrunv2.ServiceIamMember(
      `${name}-trigger-invoker`,
      {
        project: args.project,
        location: args.region,
        name: this.function.serviceConfig.apply((c) => c?.service ?? ""),
        role: RUN_INVOKER,
        member,
      },
      { parent: this },
    );
    this.registerOutputs({
      functionName: this.function.name,
      serviceAccountEmail: this.serviceAccount.email,
    });
  }
}
