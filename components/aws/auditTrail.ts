import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "../airflow";
import { refuseWithExisting } from "../core/existing";
import { ALARM_ON_FIRST_OCCURRENCE, awsAccountContext, standardTags } from "./common";
import {
  AwsAccountContext,
  SecretStoreKind,
  auditBucketPolicy,
  auditKeyPolicy,
  logDeliveryPolicy,
  logGroupArn,
  serviceTrustPolicy,
  trailArn,
} from "./policies";
import {
  EMAIL_PATTERN,
  SNS_TOPIC_ARN_PATTERN,
  checkLogRetention,
  checkRegion,
  checkTags,
  isString,
} from "./validation";

export interface ExistingTrail {
  /** CloudWatch Logs group an existing trail delivers to (in `region`); only filters and alarms are added. */
  logGroupName: string;
}

export interface SecretsAuditTrailArgs {
  environment: string;
  /** Production: longer retention (at least 365 days), audit evidence retained when the stack is deleted. */
  production?: boolean;
  owner?: string;
  region: string;
  /** The store whose events are watched. Default `secretsmanager`. */
  store?: SecretStoreKind;
  /** Name prefixes of the environment's secrets, each ending with its separator. */
  namePrefixes: string[];
  /**
   * The environment's secrets key: disabling it, scheduling its deletion or replacing its key policy
   * raises an alarm.
   */
  secretsKeyArn: pulumi.Input<string>;
  /**
   * The secrets key's replica keys (one per replica region), watched like the key itself: the trail
   * is multi-Region, so their events reach the same log group.
   */
  secretsReplicaKeyArns?: pulumi.Input<string>[];
  /** Use an existing trail's log group instead of creating a trail, bucket and log group. */
  existing?: ExistingTrail;
  /** Retention of the trail's log group. Default 365 days in production, 90 elsewhere. */
  logRetentionInDays?: number;
  /** Days before log files move to Glacier. Default 90. */
  glacierAfterDays?: number;
  /** Days before log files are deleted. Default 2557 (7 years) in production, 365 elsewhere. */
  expireAfterDays?: number;
  /** Subscribes this address to the alarm topic (the subscription must be confirmed by e-mail). */
  alarmEmail?: string;
  /** Send alarms to an existing SNS topic instead of creating one. */
  alarmTopicArn?: string;
  tags?: Record<string, string>;
  account?: pulumi.Input<AwsAccountContext>;
}

/** The trail's own knobs, which a stack's `audit` setting passes through as they are. */
const AUDIT_TRAIL_SETTING_KEYS = [
  "existing",
  "logRetentionInDays",
  "glacierAfterDays",
  "expireAfterDays",
  "alarmEmail",
  "alarmTopicArn",
] as const;
export type AuditTrailSettings = Pick<SecretsAuditTrailArgs, (typeof AUDIT_TRAIL_SETTING_KEYS)[number]>;
/** Keys of a stack's `audit` setting. */
export const AUDIT_TRAIL_KEYS = ["enabled", ...AUDIT_TRAIL_SETTING_KEYS] as const;

export function validateAuditTrailArgs(
  args: AuditTrailSettings & Pick<SecretsAuditTrailArgs, "production">,
  problems: Problems,
  path = "",
): void {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  const production = args.production === true;
  if (args.existing !== undefined) {
    problems.check(
      isString(args.existing?.logGroupName) && /^[.\-_/#A-Za-z0-9]{1,512}$/.test(args.existing.logGroupName),
      at("existing.logGroupName"),
      "must be the name of the CloudWatch Logs group the existing trail delivers to: 1-512 of letters, digits and . - _ / #",
    );
    if (path !== "") refuseWithExisting(args, CREATED_TRAIL_ONLY, path, problems);
    else
      for (const field of CREATED_TRAIL_ONLY)
        problems.check(
          args[field] === undefined,
          field,
          "applies only to a trail this component creates; the existing trail keeps its own settings",
        );
  }
  checkLogRetention(
    args.logRetentionInDays,
    production ? 365 : undefined,
    at("logRetentionInDays"),
    problems,
  );
  const glacier = args.glacierAfterDays ?? DEFAULT_GLACIER_AFTER_DAYS;
  const expire =
    args.expireAfterDays ?? (production ? PRODUCTION_EXPIRE_AFTER_DAYS : DEFAULT_EXPIRE_AFTER_DAYS);
  problems.check(
    Number.isInteger(glacier) && glacier >= 1,
    at("glacierAfterDays"),
    "must be a whole number of days, at least 1",
  );
  problems.check(
    Number.isInteger(expire) && expire > glacier,
    at("expireAfterDays"),
    `must be a whole number of days greater than glacierAfterDays (${glacier})`,
  );
  if (production)
    problems.check(expire >= 365, at("expireAfterDays"), "production keeps audit logs at least 365 days");
  if (args.alarmEmail !== undefined) {
    problems.check(
      isString(args.alarmEmail) && EMAIL_PATTERN.test(args.alarmEmail),
      at("alarmEmail"),
      "must be an e-mail address",
    );
  }
  if (args.alarmTopicArn !== undefined) {
    problems.check(
      isString(args.alarmTopicArn) && SNS_TOPIC_ARN_PATTERN.test(args.alarmTopicArn),
      at("alarmTopicArn"),
      'must be an SNS topic ARN, "arn:aws:sns:<region>:<account>:<name>"',
    );
    problems.check(
      args.alarmEmail === undefined,
      at("alarmEmail"),
      "subscribe the address to the existing alarmTopicArn instead",
    );
  }
}

/** Settings that shape only a trail this library creates. */
const CREATED_TRAIL_ONLY = ["logRetentionInDays", "glacierAfterDays", "expireAfterDays"] as const;

export const DEFAULT_GLACIER_AFTER_DAYS = 90;
export const DEFAULT_EXPIRE_AFTER_DAYS = 365;
export const PRODUCTION_EXPIRE_AFTER_DAYS = 2557;

export interface AuditFilter {
  /** Metric and alarm name suffix. */
  name: string;
  description: string;
  pattern: string;
}

const STORE_EVENTS: Record<
  SecretStoreKind,
  { source: string; nameField: string; notFound: string[]; destructive: string[] }
> = {
  secretsmanager: {
    source: "secretsmanager.amazonaws.com",
    nameField: "$.requestParameters.secretId",
    notFound: ["ResourceNotFoundException"],
    destructive: ["DeleteSecret", "PutResourcePolicy", "DeleteResourcePolicy"],
  },
  ssm: {
    source: "ssm.amazonaws.com",
    nameField: "$.requestParameters.name",
    notFound: ["ParameterNotFound"],
    destructive: ["DeleteParameter", "DeleteParameters"],
  },
};

const anyOf = (field: string, values: readonly string[]) =>
  `(${values.map((v) => `(${field} = "${v}")`).join(" || ")})`;

/**
 * CloudWatch Logs filters over CloudTrail events, scoped to this environment's secrets (the id may
 * be a name or an ARN, hence the surrounding wildcards) and keys (the secrets key and its replicas).
 */
export function auditFilters(
  store: SecretStoreKind,
  namePrefixes: readonly string[],
  secretsKeyArns: readonly string[],
): AuditFilter[] {
  const events = STORE_EVENTS[store];
  const source = `($.eventSource = "${events.source}")`;
  const kms = '($.eventSource = "kms.amazonaws.com")';
  const ourKeys = anyOf("$.resources[0].ARN", [...new Set(secretsKeyArns)]);
  const ours = anyOf(
    events.nameField,
    [...new Set(namePrefixes)].sort().map((p) => `*${p}*`),
  );
  return [
    {
      name: "AccessDenied",
      description: "A principal was refused an environment secret (misconfiguration or probing)",
      pattern: `{ ${source} && (($.errorCode = "AccessDenied*") || ($.errorCode = "*UnauthorizedOperation")) && ${ours} }`,
    },
    {
      name: "LookupNotFound",
      description:
        "A lookup of an environment secret found nothing: Airflow asks only for declared ids, so one is missing",
      pattern: `{ ${source} && ${anyOf("$.errorCode", events.notFound)} && ${ours} }`,
    },
    {
      name: "SecretDeletedOrPolicyChanged",
      description: `An environment secret was deleted or its resource policy changed (${events.destructive.join(", ")})`,
      pattern: `{ ${source} && ${anyOf("$.eventName", events.destructive)} && ${ours} }`,
    },
    {
      name: "KeyDisabledOrDeletionScheduled",
      description:
        "The environment's KMS key or one of its replicas was disabled or scheduled for deletion: the secrets it encrypts become unreadable",
      pattern: `{ ${kms} && (($.eventName = "DisableKey") || ($.eventName = "ScheduleKeyDeletion")) && ${ourKeys} }`,
    },
    {
      name: "KeyPolicyChanged",
      description:
        "The key policy of the environment's KMS key or one of its replicas was replaced (PutKeyPolicy): it decides who may decrypt the secrets",
      pattern: `{ ${kms} && ($.eventName = "PutKeyPolicy") && ${ourKeys} }`,
    },
  ];
}

/**
 * Audit sink: a multi-Region CloudTrail trail (management events, which include every
 * GetSecretValue) with log file validation, delivered to a KMS-encrypted, versioned, private,
 * TLS-only S3 bucket that moves logs to Glacier and expires them, and to a CloudWatch Logs group
 * whose metric filters raise alarms (to a KMS-encrypted SNS topic) on denied or failed lookups,
 * deletions and policy changes, and on the secrets key or a replica being disabled, scheduled for
 * deletion or given a new key policy.
 * With `existing`, only the filters and alarms are added to that trail's log group.
 */
export class SecretsAuditTrail extends pulumi.ComponentResource {
  readonly trailArn?: pulumi.Output<string>;
  readonly bucketName?: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;
  readonly alarmTopicArn: pulumi.Output<string>;
  readonly auditKeyArn?: pulumi.Output<string>;
  readonly alarms: Record<string, aws.cloudwatch.MetricAlarm> = {};

  constructor(name: string, args: SecretsAuditTrailArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = new Problems();
    checkRegion(args.region, "region", problems);
    validateAuditTrailArgs(args, problems);
    checkTags(args.tags, "tags", problems);
    problems.check(
      Array.isArray(args.namePrefixes) && args.namePrefixes.length > 0,
      "namePrefixes",
      "must list the environment's secret name prefixes",
    );
    problems.throwIfAny(`SecretsAuditTrail ${name}`);
    super("airflow-secrets:aws:SecretsAuditTrail", name, {}, opts);

    const production = args.production === true;
    const region = args.region;
    const store = args.store ?? "secretsmanager";
    const account = pulumi.output(args.account ?? awsAccountContext({ parent: this }));
    const tags = standardTags(args.environment, args.owner, args.tags);
    const keep = { retainOnDelete: production };
    const baseName = `airflow-${args.environment}-secrets`;
    const creatingTrail = args.existing === undefined;
    const trailName = baseName;
    const logGroupName = creatingTrail ? `/aws/cloudtrail/${baseName}` : args.existing!.logGroupName;
    const needsKey = creatingTrail || args.alarmTopicArn === undefined;

    let auditKey: aws.kms.Key | undefined;
    if (needsKey) {
      auditKey = new aws.kms.Key(
        `${name}-key`,
        {
          region,
          description: `Airflow ${args.environment} secrets audit (CloudTrail logs, alarm topic)`,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: account.apply((acct) =>
            JSON.stringify(
              auditKeyPolicy({
                account: acct,
                region,
                trailArn: creatingTrail ? trailArn(acct, region, trailName) : undefined,
                logGroupArn: creatingTrail ? logGroupArn(acct, region, logGroupName) : undefined,
              }),
            ),
          ),
          tags,
        },
        { parent: this, protect: production, retainOnDelete: production },
      );
      new aws.kms.Alias(
        `${name}-key-alias`,
        { region, name: `alias/${baseName}-audit`, targetKeyId: auditKey.keyId },
        { parent: this },
      );
      this.auditKeyArn = auditKey.arn;
    }

    if (creatingTrail) {
      const logRetention = args.logRetentionInDays ?? (production ? 365 : 90);
      const glacier = args.glacierAfterDays ?? DEFAULT_GLACIER_AFTER_DAYS;
      const expire =
        args.expireAfterDays ?? (production ? PRODUCTION_EXPIRE_AFTER_DAYS : DEFAULT_EXPIRE_AFTER_DAYS);
      const bucket = new aws.s3.Bucket(
        `${name}-bucket`,
        {
          region,
          bucket: account.apply((acct) => `${baseName}-audit-${acct.accountId}-${region}`.slice(0, 63)),
          forceDestroy: false,
          tags,
        },
        { parent: this, ...keep },
      );
      const bucketOpts = { parent: this };
      const publicAccess = new aws.s3.BucketPublicAccessBlock(
        `${name}-bucket-public-access`,
        {
          region,
          bucket: bucket.bucket,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        bucketOpts,
      );
      const ownership = new aws.s3.BucketOwnershipControls(
        `${name}-bucket-ownership`,
        { region, bucket: bucket.bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
        bucketOpts,
      );
      const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-bucket-encryption`,
        {
          region,
          bucket: bucket.bucket,
          rules: [
            {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: auditKey!.arn },
              bucketKeyEnabled: true,
            },
          ],
        },
        bucketOpts,
      );
      new aws.s3.BucketVersioning(
        `${name}-bucket-versioning`,
        { region, bucket: bucket.bucket, versioningConfiguration: { status: "Enabled" } },
        bucketOpts,
      );
      new aws.s3.BucketLifecycleConfiguration(
        `${name}-bucket-lifecycle`,
        {
          region,
          bucket: bucket.bucket,
          rules: [
            {
              id: "archive-then-expire-audit-logs",
              status: "Enabled",
              filter: {},
              transitions: [{ days: glacier, storageClass: "GLACIER" }],
              expiration: { days: expire },
              noncurrentVersionExpiration: { noncurrentDays: 30 },
              abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
            },
          ],
        },
        bucketOpts,
      );
      const bucketPolicy = new aws.s3.BucketPolicy(
        `${name}-bucket-policy`,
        {
          region,
          bucket: bucket.bucket,
          policy: pulumi
            .all([account, bucket.arn])
            .apply(([acct, bucketArn]) =>
              JSON.stringify(
                auditBucketPolicy({ account: acct, bucketArn, trailArn: trailArn(acct, region, trailName) }),
              ),
            ),
        },
        { parent: this, dependsOn: [publicAccess, ownership] },
      );
      const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-logs`,
        {
          region,
          name: logGroupName,
          retentionInDays: logRetention,
          kmsKeyId: auditKey!.arn,
          deletionProtectionEnabled: production,
          tags,
        },
        { parent: this, ...keep },
      );
      const deliveryRole = new aws.iam.Role(
        `${name}-delivery`,
        {
          name: `${baseName}-cloudtrail-logs`.slice(0, 64),
          description: `CloudTrail delivers the Airflow ${args.environment} audit trail to CloudWatch Logs`,
          assumeRolePolicy: JSON.stringify(
            serviceTrustPolicy("cloudtrail.amazonaws.com", "CloudTrailDeliversLogs"),
          ),
          tags,
        },
        { parent: this },
      );
      const deliveryPolicy = new aws.iam.RolePolicy(
        `${name}-delivery-policy`,
        {
          role: deliveryRole.name,
          name: "write-trail-log-group",
          policy: account.apply((acct) =>
            JSON.stringify(
              logDeliveryPolicy("WriteTrailLogStreams", logGroupArn(acct, region, logGroupName)),
            ),
          ),
        },
        { parent: this },
      );
      const trail = new aws.cloudtrail.Trail(
        `${name}-trail`,
        {
          region,
          name: trailName,
          s3BucketName: bucket.bucket,
          isMultiRegionTrail: true,
          includeGlobalServiceEvents: true,
          enableLogFileValidation: true,
          enableLogging: true,
          kmsKeyId: auditKey!.arn,
          cloudWatchLogsGroupArn: pulumi.interpolate`${logGroup.arn}:*`,
          cloudWatchLogsRoleArn: deliveryRole.arn,
          eventSelectors: [{ readWriteType: "All", includeManagementEvents: true }],
          tags,
        },
        { parent: this, dependsOn: [bucketPolicy, encryption, deliveryPolicy], ...keep },
      );
      this.trailArn = trail.arn;
      this.bucketName = bucket.bucket;
      this.logGroupName = logGroup.name;
    } else {
      this.logGroupName = pulumi.output(logGroupName);
    }

    if (args.alarmTopicArn !== undefined) {
      this.alarmTopicArn = pulumi.output(args.alarmTopicArn);
    } else {
      const topic = new aws.sns.Topic(
        `${name}-alarms`,
        { region, name: `${baseName}-alarms`, kmsMasterKeyId: auditKey!.arn, tags },
        { parent: this },
      );
      if (args.alarmEmail !== undefined) {
        new aws.sns.TopicSubscription(
          `${name}-alarms-email`,
          { region, topic: topic.arn, protocol: "email", endpoint: args.alarmEmail },
          { parent: this },
        );
      }
      this.alarmTopicArn = topic.arn;
    }

    const namespace = `AirflowSecrets/${args.environment}`;
    const filters = pulumi
      .all([args.secretsKeyArn, ...(args.secretsReplicaKeyArns ?? [])])
      .apply((keyArns) => auditFilters(store, args.namePrefixes, keyArns));
    auditFilters(store, args.namePrefixes, []).forEach((shape, i) => {
      const metricName = `${shape.name}`;
      const filter = new aws.cloudwatch.LogMetricFilter(
        `${name}-${shape.name}`,
        {
          region,
          name: `${baseName}-${shape.name}`,
          logGroupName: this.logGroupName,
          pattern: filters.apply((all) => all[i].pattern),
          metricTransformation: { name: metricName, namespace, value: "1", defaultValue: "0", unit: "Count" },
        },
        { parent: this },
      );
      this.alarms[shape.name] = new aws.cloudwatch.MetricAlarm(
        `${name}-${shape.name}-alarm`,
        {
          region,
          name: `${baseName}-${shape.name}`,
          alarmDescription: `Airflow ${args.environment}: ${shape.description}`,
          namespace,
          metricName,
          ...ALARM_ON_FIRST_OCCURRENCE,
          alarmActions: [this.alarmTopicArn],
          tags,
        },
        { parent: this, dependsOn: [filter] },
      );
    });
    this.registerOutputs({
      trailArn: this.trailArn,
      logGroupName: this.logGroupName,
      alarmTopicArn: this.alarmTopicArn,
    });
  }
}
