/**
 * The audit sink: a multi-Region trail with log file validation into a private, KMS-encrypted,
 * TLS-only bucket with lifecycle, a CloudWatch Logs group with retention, metric filters and alarms
 * to an encrypted topic; bring-your-own trail; on by default in production only.
 */
import type { RecordedResource } from "../../cli/synth/mockRuntime";
import {
  ACCOUNT,
  REGION,
  awsEnvironmentArgs,
  deployEnvironments,
  policyOf,
  resourceNamed,
  resourcesOf,
  simulate,
} from "./harness";
import type { AirflowSecretsEnvironmentConfigArgs } from "../../components/environment";

async function run(...argsList: AirflowSecretsEnvironmentConfigArgs[]): Promise<RecordedResource[]> {
  return (await deployEnvironments("audit", ...argsList)).resources;
}

const TRAIL_ARN = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/airflow-prod-secrets`;
const BUCKET = `airflow-prod-secrets-audit-${ACCOUNT}-${REGION}`;

describe("audit sink created by the production stack", () => {
  let resources: RecordedResource[];
  beforeAll(async () => {
    resources = await run(
      awsEnvironmentArgs("prod", { audit: { alarmEmail: "oncall@example.com" } }),
      awsEnvironmentArgs("dev"),
    );
  });
  const one = (type: string, name: string) => resourceNamed(resources, type, name);

  it("is on by default in production and off elsewhere", () => {
    expect(
      resources.filter((r) => r.type === "airflow-secrets:aws:SecretsAuditTrail").map((r) => r.name),
    ).toEqual(["prod-audit"]);
  });

  it("multi-Region trail with log file validation, encrypted, delivering to S3 and CloudWatch Logs", () => {
    const trail = one("aws:cloudtrail/trail:Trail", "prod-audit-trail");
    const auditKeyAlias = one("aws:kms/alias:Alias", "prod-audit-key-alias");
    expect(trail.inputs).toMatchObject({
      name: "airflow-prod-secrets",
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      enableLogging: true,
      s3BucketName: BUCKET,
      kmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${auditKeyAlias.inputs.targetKeyId}`,
      cloudWatchLogsGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/cloudtrail/airflow-prod-secrets:*`,
      cloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/airflow-prod-secrets-cloudtrail-logs`,
      // Secrets Manager reads (GetSecretValue) are management events: all of them are recorded.
      eventSelectors: [{ readWriteType: "All", includeManagementEvents: true }],
    });
    expect(auditKeyAlias.inputs.name).toBe("alias/airflow-prod-secrets-audit");
    expect(trail.retainOnDelete).toBe(true);
  });

  it("bucket: public access blocked, ownership enforced, KMS encryption, versioning, Glacier then expiry", () => {
    expect(one("aws:s3/bucket:Bucket", "prod-audit-bucket").inputs).toMatchObject({
      bucket: BUCKET,
      forceDestroy: false,
    });
    expect(
      one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "prod-audit-bucket-public-access").inputs,
    ).toMatchObject({
      bucket: BUCKET,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(
      one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "prod-audit-bucket-ownership").inputs
        .rule,
    ).toEqual({
      objectOwnership: "BucketOwnerEnforced",
    });
    const encryption = one(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      "prod-audit-bucket-encryption",
    );
    expect((encryption.inputs.rules as Array<Record<string, unknown>>)[0]).toMatchObject({
      applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" },
      bucketKeyEnabled: true,
    });
    expect(
      one("aws:s3/bucketVersioning:BucketVersioning", "prod-audit-bucket-versioning").inputs
        .versioningConfiguration,
    ).toEqual({ status: "Enabled" });
    const lifecycle = one(
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "prod-audit-bucket-lifecycle",
    );
    expect((lifecycle.inputs.rules as Array<Record<string, unknown>>)[0]).toMatchObject({
      status: "Enabled",
      transitions: [{ days: 90, storageClass: "GLACIER" }],
      expiration: { days: 2557 },
    });
  });

  it("bucket policy (iam-simulate): this trail may write its logs, nothing else may; no request without TLS", async () => {
    const policy = policyOf(one("aws:s3/bucketPolicy:BucketPolicy", "prod-audit-bucket-policy"));
    const object = `arn:aws:s3:::${BUCKET}/AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/11/23/log.json.gz`;
    const put = (sourceArn: string, extra: Record<string, string> = {}) =>
      simulate({
        principal: "cloudtrail.amazonaws.com",
        action: "s3:PutObject",
        resource: object,
        identityPolicies: [],
        resourcePolicy: policy,
        context: {
          "aws:SourceArn": sourceArn,
          "s3:x-amz-acl": "bucket-owner-full-control",
          "aws:SecureTransport": "true",
          ...extra,
        },
      });
    expect(await put(TRAIL_ARN)).toBe("Allowed");
    expect(await put(`arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/someone-elses-trail`)).toBe(
      "ImplicitlyDenied",
    );
    expect(await put(TRAIL_ARN, { "aws:SecureTransport": "false" })).toBe("ExplicitlyDenied");
    const adminRead = await simulate({
      principal: `arn:aws:iam::${ACCOUNT}:role/auditor`,
      action: "s3:GetObject",
      resource: object,
      identityPolicies: [
        { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] },
      ],
      resourcePolicy: policy,
      context: { "aws:SecureTransport": "false" },
    });
    expect(adminRead).toBe("ExplicitlyDenied");
  });

  it("log group: 365 days in production, encrypted with the audit key, protected from deletion; delivery role scoped to it", () => {
    const logGroup = one("aws:cloudwatch/logGroup:LogGroup", "prod-audit-logs");
    expect(logGroup.inputs).toMatchObject({
      name: "/aws/cloudtrail/airflow-prod-secrets",
      retentionInDays: 365,
      deletionProtectionEnabled: true,
    });
    expect(logGroup.inputs.kmsKeyId).toMatch(/^arn:aws:kms:eu-west-1:123456789012:key\//);
    const delivery = policyOf(one("aws:iam/rolePolicy:RolePolicy", "prod-audit-delivery-policy")) as {
      Statement: Array<{ Resource: string }>;
    };
    expect(delivery.Statement.map((s) => s.Resource)).toEqual([
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/cloudtrail/airflow-prod-secrets:log-stream:*`,
    ]);
  });

  it("five metric filters on the trail's log group, scoped to the environment's secrets and key, each alarming to the encrypted topic", () => {
    const filters = resourcesOf(resources, "aws:cloudwatch/logMetricFilter:LogMetricFilter");
    expect(filters.map((f) => f.inputs.name).sort()).toEqual([
      "airflow-prod-secrets-AccessDenied",
      "airflow-prod-secrets-KeyDisabledOrDeletionScheduled",
      "airflow-prod-secrets-KeyPolicyChanged",
      "airflow-prod-secrets-LookupNotFound",
      "airflow-prod-secrets-SecretDeletedOrPolicyChanged",
    ]);
    const keyAlias = one("aws:kms/alias:Alias", "prod-secrets-key-alias");
    const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyAlias.inputs.targetKeyId}`;
    const patterns = Object.fromEntries(
      filters.map((f) => [
        String(f.inputs.name).replace("airflow-prod-secrets-", ""),
        String(f.inputs.pattern),
      ]),
    );
    for (const filter of filters) {
      expect(filter.inputs.logGroupName).toBe("/aws/cloudtrail/airflow-prod-secrets");
      expect(String(filter.inputs.pattern).length).toBeLessThanOrEqual(1024);
    }
    for (const name of ["AccessDenied", "LookupNotFound", "SecretDeletedOrPolicyChanged"]) {
      expect(patterns[name]).toContain('($.eventSource = "secretsmanager.amazonaws.com")');
      for (const prefix of ["airflow/prod/config/", "airflow/prod/connections/", "airflow/prod/variables/"]) {
        expect(patterns[name]).toContain(`($.requestParameters.secretId = "*${prefix}*")`);
      }
    }
    expect(patterns.AccessDenied).toContain('($.errorCode = "AccessDenied*")');
    expect(patterns.LookupNotFound).toContain('($.errorCode = "ResourceNotFoundException")');
    for (const event of ["DeleteSecret", "PutResourcePolicy", "DeleteResourcePolicy"]) {
      expect(patterns.SecretDeletedOrPolicyChanged).toContain(`($.eventName = "${event}")`);
    }
    expect(patterns.KeyDisabledOrDeletionScheduled).toBe(
      `{ ($.eventSource = "kms.amazonaws.com") && (($.eventName = "DisableKey") || ($.eventName = "ScheduleKeyDeletion")) && (($.resources[0].ARN = "${keyArn}")) }`,
    );
    // Replacing the key policy is how an administrator would get around "decrypt only through the store".
    expect(patterns.KeyPolicyChanged).toBe(
      `{ ($.eventSource = "kms.amazonaws.com") && ($.eventName = "PutKeyPolicy") && (($.resources[0].ARN = "${keyArn}")) }`,
    );
    const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:airflow-prod-secrets-alarms`;
    const alarms = resourcesOf(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) =>
      a.name.startsWith("prod-audit-"),
    );
    expect(alarms).toHaveLength(5);
    for (const alarm of alarms) {
      expect(alarm.inputs).toMatchObject({
        namespace: "AirflowSecrets/prod",
        statistic: "Sum",
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [topicArn],
      });
      const filter = filters.find(
        (f) => (f.inputs.metricTransformation as { name: string }).name === alarm.inputs.metricName,
      );
      expect((filter!.inputs.metricTransformation as { namespace: string }).namespace).toBe(
        "AirflowSecrets/prod",
      );
    }
    const topic = one("aws:sns/topic:Topic", "prod-audit-alarms");
    expect(topic.inputs.kmsMasterKeyId).toMatch(/^arn:aws:kms:eu-west-1:123456789012:key\//);
    expect(
      one("aws:sns/topicSubscription:TopicSubscription", "prod-audit-alarms-email").inputs,
    ).toMatchObject({ protocol: "email", endpoint: "oncall@example.com" });
  });

  it("the audit key lets CloudTrail encrypt only for this trail, CloudWatch Logs only for this log group", () => {
    const policy = policyOf(one("aws:kms/key:Key", "prod-audit-key")) as {
      Statement: Array<{ Sid: string; Condition?: Record<string, Record<string, string>> }>;
    };
    const bySid = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s]));
    expect(bySid.CloudTrailEncryptsLogFiles.Condition!.StringEquals["aws:SourceArn"]).toBe(TRAIL_ARN);
    expect(
      bySid.CloudWatchLogsEncryptsTheTrailLogGroup.Condition!.ArnEquals["kms:EncryptionContext:aws:logs:arn"],
    ).toBe(`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/cloudtrail/airflow-prod-secrets`);
  });
});

describe("key alarms cover the replica keys", () => {
  it("the key filters (disabled, deletion scheduled, policy replaced) name the primary key and every replica key", async () => {
    // Seven replicas with long region names: the most prepare accepts (the pattern stays within 1024).
    const replicaRegions = [
      "eu-central-1",
      "ap-southeast-1",
      "ap-southeast-2",
      "ap-southeast-3",
      "ap-northeast-1",
      "ap-northeast-2",
      "ap-northeast-3",
    ];
    const resources = await run(awsEnvironmentArgs("prod", { replicaRegions }));
    const keyId = resourceNamed(resources, "aws:kms/alias:Alias", "prod-secrets-key-alias").inputs
      .targetKeyId;
    const keyArns = [REGION, ...replicaRegions].map(
      (region) => `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId}`,
    );
    expect(resourcesOf(resources, "aws:kms/replicaKey:ReplicaKey")).toHaveLength(7);
    for (const name of ["KeyDisabledOrDeletionScheduled", "KeyPolicyChanged"]) {
      const pattern = String(
        resourceNamed(resources, "aws:cloudwatch/logMetricFilter:LogMetricFilter", `prod-audit-${name}`)
          .inputs.pattern,
      );
      for (const arn of keyArns) expect(pattern).toContain(`($.resources[0].ARN = "${arn}")`);
      expect(pattern.length).toBeLessThanOrEqual(1024);
    }
  });
});

describe("bring-your-own trail and topic", () => {
  it("an existing trail gets only filters and alarms on its log group; an existing topic replaces the created one", async () => {
    const topic = `arn:aws:sns:${REGION}:${ACCOUNT}:org-security-alarms`;
    const resources = await run(
      awsEnvironmentArgs("prod", {
        audit: { existing: { logGroupName: "org-cloudtrail" }, alarmTopicArn: topic },
      }),
    );
    for (const type of [
      "aws:cloudtrail/trail:Trail",
      "aws:s3/bucket:Bucket",
      "aws:cloudwatch/logGroup:LogGroup",
      "aws:sns/topic:Topic",
    ]) {
      expect(resourcesOf(resources, type)).toEqual([]);
    }
    // Nothing to encrypt here: no audit key either.
    expect(resourcesOf(resources, "aws:kms/key:Key").map((k) => k.name)).toEqual(["prod-secrets-key-key"]);
    const filters = resourcesOf(resources, "aws:cloudwatch/logMetricFilter:LogMetricFilter");
    expect(filters).toHaveLength(5);
    for (const filter of filters) expect(filter.inputs.logGroupName).toBe("org-cloudtrail");
    for (const alarm of resourcesOf(resources, "aws:cloudwatch/metricAlarm:MetricAlarm"))
      expect(alarm.inputs.alarmActions).toEqual([topic]);
  });

  it("dev can turn it on, with dev retention and expiry", async () => {
    const resources = await run(awsEnvironmentArgs("dev", { audit: { enabled: true } }));
    expect(
      resourceNamed(resources, "aws:cloudwatch/logGroup:LogGroup", "dev-audit-logs").inputs,
    ).toMatchObject({ retentionInDays: 90, deletionProtectionEnabled: false });
    const lifecycle = resourceNamed(
      resources,
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "dev-audit-bucket-lifecycle",
    );
    expect((lifecycle.inputs.rules as Array<{ expiration: { days: number } }>)[0].expiration.days).toBe(365);
  });
});
