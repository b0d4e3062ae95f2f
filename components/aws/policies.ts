/**
 * Every IAM, KMS, S3 and Secrets Manager policy document the AWS backend writes, as pure functions
 * of plain strings. Components render them with `pulumi.all(...).apply(...)`; tests evaluate the very
 * same documents with an IAM simulator.
 */

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { AWS?: string | string[]; Service?: string | string[]; Federated?: string };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Where ARNs and service endpoints are built: the account, its partition and DNS suffix. */
export interface AwsAccountContext {
  accountId: string;
  /** `aws`, `aws-cn`, `aws-us-gov`. */
  partition: string;
  /** `amazonaws.com` (`amazonaws.com.cn` in China). */
  dnsSuffix: string;
}

/** Which service stores the values: Secrets Manager secrets or SSM SecureString parameters. */
export type SecretStoreKind = "secretsmanager" | "ssm";

const document = (statements: Array<PolicyStatement | undefined | false>): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: statements.filter((s): s is PolicyStatement => Boolean(s)),
});

const rootPrincipal = (account: AwsAccountContext) =>
  `arn:${account.partition}:iam::${account.accountId}:root`;

/** `secretsmanager.eu-west-1.amazonaws.com`: the value of `kms:ViaService` when a service uses a key. */
export function serviceHost(service: string, region: string, account: AwsAccountContext): string {
  return `${service}.${region}.${account.dnsSuffix}`;
}

/** `kms:ViaService` values for the store's service in every region holding a copy of the secrets. */
export function viaServiceHosts(
  store: SecretStoreKind,
  regions: readonly string[],
  account: AwsAccountContext,
): string[] {
  return regions.map((region) => serviceHost(store, region, account));
}

/**
 * ARN patterns covering every secret whose name starts with one of `namePrefixes` (each already ends
 * with the separator, e.g. `airflow/prod/connections/`), in every region holding a copy.
 */
export function storeArnPatterns(
  store: SecretStoreKind,
  account: AwsAccountContext,
  regions: readonly string[],
  namePrefixes: readonly string[],
): string[] {
  const patterns: string[] = [];
  for (const region of regions) {
    for (const prefix of namePrefixes) {
      patterns.push(
        store === "secretsmanager"
          ? `arn:${account.partition}:secretsmanager:${region}:${account.accountId}:secret:${prefix}*`
          : `arn:${account.partition}:ssm:${region}:${account.accountId}:parameter${prefix.startsWith("/") ? "" : "/"}${prefix}*`,
      );
    }
  }
  return patterns;
}

/** What Airflow's backends call: `get_secret_value` (Secrets Manager), `get_parameter` (SSM). */
export const READER_ACTIONS: Record<SecretStoreKind, string[]> = {
  secretsmanager: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
  ssm: ["ssm:GetParameter"],
};

/** What a CI pipeline needs to maintain values without ever reading one back. */
export const WRITER_ACTIONS: Record<SecretStoreKind, string[]> = {
  secretsmanager: [
    "secretsmanager:CreateSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecret",
    "secretsmanager:TagResource",
    "secretsmanager:UntagResource",
    "secretsmanager:DeleteSecret",
    "secretsmanager:DescribeSecret",
    "secretsmanager:RestoreSecret",
  ],
  ssm: ["ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"],
};

/** Every action that returns a stored value; the writer is explicitly denied all of them. */
export const VALUE_READ_ACTIONS: Record<SecretStoreKind, string[]> = {
  secretsmanager: ["secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"],
  ssm: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory"],
};

export interface StoreAccessScope {
  store: SecretStoreKind;
  account: AwsAccountContext;
  /** Primary region first, then replica regions. */
  regions: string[];
  /** Name prefixes of this environment's secrets, each ending with the separator. */
  namePrefixes: string[];
  /** The environment's KMS key ARNs (primary and replicas). */
  keyArns: string[];
  /**
   * Secrets Manager: the shortest recovery window the writer may schedule a deletion with (the
   * store's own window; 7–30). Below 7 (or unset) only force-deletion is denied.
   */
  minRecoveryWindowInDays?: number;
}

/** Airflow's reader: read this environment's values, decrypt only through the store. */
export function readerPolicy(scope: StoreAccessScope): PolicyDocument {
  return document([
    {
      Sid: "ReadEnvironmentSecrets",
      Effect: "Allow",
      Action: READER_ACTIONS[scope.store],
      Resource: storeArnPatterns(scope.store, scope.account, scope.regions, scope.namePrefixes),
    },
    {
      Sid: "DecryptOnlyThroughTheStore",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: scope.keyArns,
      Condition: {
        StringEquals: { "kms:ViaService": viaServiceHosts(scope.store, scope.regions, scope.account) },
      },
    },
  ]);
}

/**
 * The CI writer: create, update, tag, delete and restore this environment's values, encrypt through
 * the store — and, explicitly, never read a value or decrypt (separation of duties that a broader
 * policy attached to the same role cannot undo). A Secrets Manager deletion always keeps a recovery
 * window: never `ForceDeleteWithoutRecovery`, never a `RecoveryWindowInDays` below the store's.
 */
export function writerPolicy(scope: StoreAccessScope): PolicyDocument {
  const secretsManager = scope.store === "secretsmanager";
  const replicating = secretsManager && scope.regions.length > 1;
  const minWindow = scope.minRecoveryWindowInDays ?? 0;
  return document([
    {
      Sid: "WriteEnvironmentSecrets",
      Effect: "Allow",
      Action: [
        ...WRITER_ACTIONS[scope.store],
        ...(replicating ? ["secretsmanager:ReplicateSecretToRegions"] : []),
      ],
      Resource: storeArnPatterns(scope.store, scope.account, scope.regions, scope.namePrefixes),
    },
    {
      Sid: "EncryptOnlyThroughTheStore",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Encrypt"],
      Resource: scope.keyArns,
      Condition: {
        StringEquals: { "kms:ViaService": viaServiceHosts(scope.store, scope.regions, scope.account) },
      },
    },
    { Sid: "NeverReadSecretValues", Effect: "Deny", Action: VALUE_READ_ACTIONS[scope.store], Resource: "*" },
    secretsManager && {
      Sid: "NeverDeleteWithoutRecovery",
      Effect: "Deny",
      Action: "secretsmanager:DeleteSecret",
      Resource: "*",
      Condition: { Bool: { "secretsmanager:ForceDeleteWithoutRecovery": "true" } },
    },
    // Secrets Manager's shortest window is 7 days: a lower floor would deny nothing.
    secretsManager &&
      minWindow > 7 && {
        Sid: "NeverShortenTheRecoveryWindow",
        Effect: "Deny",
        Action: "secretsmanager:DeleteSecret",
        Resource: "*",
        Condition: { NumericLessThan: { "secretsmanager:RecoveryWindowInDays": String(minWindow) } },
      },
    {
      Sid: "NeverDecrypt",
      Effect: "Deny",
      Action: ["kms:Decrypt", "kms:ReEncryptFrom"],
      Resource: scope.keyArns,
    },
  ]);
}

/**
 * A secret's resource policy: nobody but the listed principals may read the value. Only
 * `GetSecretValue` is denied, so account administrators keep every management action (describe,
 * tag, change or delete this policy, delete or restore the secret). The roles that run `pulumi up`
 * must be listed: the AWS provider reads each version back with GetSecretValue.
 */
export function secretResourcePolicy(allowedReaderArns: readonly string[]): PolicyDocument {
  return document([
    {
      Sid: "OnlyNamedRolesReadTheValue",
      Effect: "Deny",
      Principal: "*",
      Action: "secretsmanager:GetSecretValue",
      Resource: "*",
      Condition: { ArnNotEquals: { "aws:PrincipalArn": [...new Set(allowedReaderArns)].sort() } },
    },
  ]);
}

/**
 * Key administration for the account (IAM policies decide which admins). No cryptographic action and
 * no `kms:CreateGrant`, so no administrator can decrypt outside the store without first changing
 * this policy — a `PutKeyPolicy` on the key or a replica, which the audit trail's `KeyPolicyChanged`
 * alarm reports (when audit is on).
 */
export const KEY_ADMIN_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListAliases",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:ReplicateKey",
  "kms:RetireGrant",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
  "kms:UpdatePrimaryRegion",
];

export interface SecretsKeyPolicyArgs {
  account: AwsAccountContext;
  store: SecretStoreKind;
  /** Regions whose store may use the key (primary and replicas: a multi-Region key shares its policy). */
  regions: string[];
  /** Airflow's reader roles: decrypt through the store, and never directly. */
  readerRoleArns: string[];
}

/**
 * The environment key: account admins manage it; principals of the account use it only through the
 * store (still subject to their IAM policies); the Airflow reader decrypts through the store and is
 * denied every direct decryption.
 */
export function secretsKeyPolicy(args: SecretsKeyPolicyArgs): PolicyDocument {
  const via = viaServiceHosts(args.store, args.regions, args.account);
  const readers = [...args.readerRoleArns].sort();
  return document([
    {
      Sid: "AccountAdministersTheKey",
      Effect: "Allow",
      Principal: { AWS: rootPrincipal(args.account) },
      Action: KEY_ADMIN_ACTIONS,
      Resource: "*",
    },
    {
      Sid: "AccountUsesTheKeyOnlyThroughTheStore",
      Effect: "Allow",
      Principal: { AWS: rootPrincipal(args.account) },
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      Resource: "*",
      Condition: { StringEquals: { "kms:CallerAccount": args.account.accountId, "kms:ViaService": via } },
    },
    readers.length > 0 && {
      Sid: "AirflowReaderDecryptsThroughTheStore",
      Effect: "Allow",
      Principal: { AWS: readers },
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringEquals: { "kms:ViaService": via } },
    },
    readers.length > 0 && {
      Sid: "AirflowReaderNeverDecryptsDirectly",
      Effect: "Deny",
      Principal: { AWS: readers },
      Action: ["kms:Decrypt", "kms:ReEncryptFrom"],
      Resource: "*",
      Condition: { StringNotEquals: { "kms:ViaService": via } },
    },
  ]);
}

/**
 * IRSA: only pods running as one of `serviceAccounts` (one per Airflow component, or one shared) in
 * `namespace` of the cluster behind the OIDC provider. `StringEquals` with a list matches any one of
 * its values exactly, so no other service account of the namespace can assume the role.
 */
export function irsaTrustPolicy(args: {
  oidcProviderArn: string;
  oidcIssuer: string;
  namespace: string;
  serviceAccounts: readonly string[];
}): PolicyDocument {
  const subjects = [...new Set(args.serviceAccounts)].map(
    (name) => `system:serviceaccount:${args.namespace}:${name}`,
  );
  return document([
    {
      Sid: "AirflowServiceAccountThroughIrsa",
      Effect: "Allow",
      Principal: { Federated: args.oidcProviderArn },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: {
          // One subject stays a string: the document of a one-account environment is unchanged.
          [`${args.oidcIssuer}:sub`]: subjects.length === 1 ? subjects[0] : subjects,
          [`${args.oidcIssuer}:aud`]: "sts.amazonaws.com",
        },
      },
    },
  ]);
}

export const GITHUB_OIDC_ISSUER = "token.actions.githubusercontent.com";

export interface WriterTrustArgs {
  /** `owner/name`; with it, GitHub Actions runs of this repository assume the role through OIDC. */
  githubRepository?: string;
  /** Token subjects after `repo:owner/name:` (e.g. `environment:prod`, `ref:refs/heads/main`). */
  githubSubjects?: string[];
  githubOidcProviderArn?: string;
  /** Roles (e.g. a CI system's own role) allowed to assume the writer role. */
  trustedRoleArns?: string[];
}

export function writerTrustPolicy(args: WriterTrustArgs): PolicyDocument {
  return document([
    args.githubRepository !== undefined &&
      args.githubOidcProviderArn !== undefined && {
        Sid: "GitHubActionsOfOneRepository",
        Effect: "Allow",
        Principal: { Federated: args.githubOidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${GITHUB_OIDC_ISSUER}:aud`]: "sts.amazonaws.com",
            [`${GITHUB_OIDC_ISSUER}:sub`]: (args.githubSubjects ?? []).map(
              (s) => `repo:${args.githubRepository}:${s}`,
            ),
          },
        },
      },
    (args.trustedRoleArns ?? []).length > 0 && {
      Sid: "TrustedCiRoles",
      Effect: "Allow",
      Principal: { AWS: [...args.trustedRoleArns!].sort() },
      Action: "sts:AssumeRole",
    },
  ]);
}

export function serviceTrustPolicy(service: string, sid: string): PolicyDocument {
  return document([{ Sid: sid, Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }]);
}

/** `arn:…:logs:region:account:log-group:name` (without the `:*` suffix some APIs print). */
export function logGroupArn(account: AwsAccountContext, region: string, name: string): string {
  return `arn:${account.partition}:logs:${region}:${account.accountId}:log-group:${name}`;
}

export function trailArn(account: AwsAccountContext, region: string, name: string): string {
  return `arn:${account.partition}:cloudtrail:${region}:${account.accountId}:trail/${name}`;
}

/** Writing to one log group's streams: what CloudTrail's delivery role and a Lambda need. */
export function logDeliveryPolicy(sid: string, groupArn: string): PolicyDocument {
  return document([
    {
      Sid: sid,
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${groupArn}:log-stream:*`,
    },
  ]);
}

export interface AuditKeyPolicyArgs {
  account: AwsAccountContext;
  region: string;
  /** Set when this stack creates the trail: CloudTrail encrypts its log files with the key. */
  trailArn?: string;
  /** Set when this stack creates the CloudTrail log group: CloudWatch Logs encrypts it. */
  logGroupArn?: string;
}

/**
 * The audit key (log files, log group, alarm topic), separate from the secrets key so neither the
 * Airflow reader nor the CI writer can read audit records and audit readers cannot read secrets.
 */
export function auditKeyPolicy(args: AuditKeyPolicyArgs): PolicyDocument {
  const { account } = args;
  return document([
    {
      Sid: "AccountAdministersAndDelegatesTheKey",
      Effect: "Allow",
      Principal: { AWS: rootPrincipal(account) },
      Action: "kms:*",
      Resource: "*",
    },
    args.trailArn !== undefined && {
      Sid: "CloudTrailEncryptsLogFiles",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "kms:GenerateDataKey*",
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceArn": args.trailArn },
        StringLike: {
          "kms:EncryptionContext:aws:cloudtrail:arn": `arn:${account.partition}:cloudtrail:*:${account.accountId}:trail/*`,
        },
      },
    },
    args.trailArn !== undefined && {
      Sid: "CloudTrailDescribesTheKey",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "kms:DescribeKey",
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceArn": args.trailArn } },
    },
    args.logGroupArn !== undefined && {
      Sid: "CloudWatchLogsEncryptsTheTrailLogGroup",
      Effect: "Allow",
      Principal: { Service: serviceHost("logs", args.region, account) },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: "*",
      Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": args.logGroupArn } },
    },
    {
      Sid: "CloudWatchAlarmsPublishToTheEncryptedTopic",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
    },
  ]);
}

/** CloudTrail may check the ACL and write under `AWSLogs/<account>/` for this trail only; TLS required. */
export function auditBucketPolicy(args: {
  account: AwsAccountContext;
  bucketArn: string;
  trailArn: string;
}): PolicyDocument {
  const { account } = args;
  return document([
    {
      Sid: "CloudTrailChecksTheBucketAcl",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:GetBucketAcl",
      Resource: args.bucketArn,
      Condition: { StringEquals: { "aws:SourceArn": args.trailArn } },
    },
    {
      Sid: "CloudTrailWritesLogFiles",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `${args.bucketArn}/AWSLogs/${account.accountId}/*`,
      Condition: {
        StringEquals: { "aws:SourceArn": args.trailArn, "s3:x-amz-acl": "bucket-owner-full-control" },
      },
    },
    {
      Sid: "DenyRequestsWithoutTls",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [args.bucketArn, `${args.bucketArn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ]);
}
