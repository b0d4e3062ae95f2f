/**
 * The AWS backend's stack settings (`airflow-secrets:aws` in Pulumi.<env>.yaml) and their
 * validation. Every rule reports `aws.<field>` paths; nothing here registers a resource.
 */
import { Problems, SecretsLayout } from "../airflow";
import { CiWriterSettings, validateCiWriter } from "./accessRoles";
import { AUDIT_TRAIL_KEYS, AuditTrailSettings, auditFilters, validateAuditTrailArgs } from "./auditTrail";
import {
  SECURITY_GROUP_ID_PATTERN,
  SUBNET_ID_PATTERN,
  VPC_ID_PATTERN,
  checkCaCertificates,
  checkIdList,
  checkKmsKeyArn,
  checkKmsKeyDeletionWindow,
  checkKnownKeys,
  checkLogRetention,
  checkOidc,
  checkRecoveryWindow,
  checkRegion,
  checkReplicaRegions,
  checkRoleArnList,
  checkTags,
  isPlainObject,
  isString,
  partitionOf,
} from "./validation";

export const SETTINGS_PATH = "aws";

export interface AwsKmsSettings {
  /** Use this customer-managed key (ARN, in `region`) instead of creating one. */
  existingKeyArn?: string;
  /** With `existingKeyArn` and replicas: the replica key ARN in each replica region. */
  existingReplicaKeyArns?: Record<string, string>;
  /** Deletion window of a created key, 7–30 days. Default 30. */
  deletionWindowInDays?: number;
  /** Create a multi-Region key even without replicas (so replicas can be added without replacing it). */
  multiRegion?: boolean;
}

export interface AwsAuditSettings extends AuditTrailSettings {
  /**
   * Default: on in production, off elsewhere. `false` in production only with `existingTrail` (the
   * account is audited by that trail; this stack then adds no filters or alarms).
   */
  enabled?: boolean;
}

export interface AwsRotationSettings {
  /**
   * Subnets of the rotation function, in the database's VPC: a non-empty list of `subnet-…` ids (only
   * the format is checked; use subnets in two or more Availability Zones, which are not known before
   * deployment).
   */
  subnetIds?: string[];
  /** Security groups of the rotation function (allowed to reach the database on its port). */
  securityGroupIds?: string[];
  /**
   * Create a Secrets Manager interface endpoint (private DNS) in this VPC for the functions. Refused
   * when no connection declares rotation (no function would use it).
   */
  createSecretsManagerEndpointInVpc?: string;
  /** Or use an existing endpoint's URL (`SECRETS_MANAGER_ENDPOINT`). */
  secretsManagerEndpointUrl?: string;
  /** Generated password length, 16–4096. Default 32. */
  passwordLength?: number;
  /** Characters never generated. Default: quotes, backslash, `/`, `@`, backtick. */
  excludeCharacters?: string;
  /**
   * PEM CA certificates the functions trust for database TLS instead of Lambda's Amazon CA bundle
   * (include the RDS bundle too if they also verify RDS certificates). Default: the Amazon bundle.
   */
  caCertificates?: string;
  /** Rotate once as soon as rotation is configured. Default false. */
  rotateImmediately?: boolean;
  /** Rotation window (`1h`–`24h`); turns `everyDays` into `rate(N days)` with this window. */
  duration?: string;
  /** Function log retention. Default 365 in production, 30 elsewhere. */
  logRetentionInDays?: number;
}

export interface AwsBackendSettings {
  /** Region of the store, key, roles' scope and audit trail. */
  region: string;
  /** `secretsmanager` (default) or `ssm` (Parameter Store SecureStrings). */
  store?: "secretsmanager" | "ssm";
  /** IAM OIDC provider of the EKS cluster running Airflow. */
  oidcProviderArn: string;
  /** The cluster's OIDC issuer without scheme: `oidc.eks.<region>.amazonaws.com/id/<ID>`. */
  oidcIssuer: string;
  /**
   * Roles that run `pulumi up`/`refresh` for this stack (Secrets Manager only, required): the AWS
   * provider reads every secret version back, so they are exempt from the read-deny resource policy.
   */
  deployerRoleArns?: string[];
  /** Overrides of the contract's default layout (`airflow/{env}/connections`, …, sep `/`). */
  layout?: Partial<Pick<SecretsLayout, "connectionsPrefix" | "variablesPrefix" | "configPrefix" | "sep">>;
  kms?: AwsKmsSettings;
  /** 7–30 (0 outside production). Default 30 in production, 7 elsewhere. */
  recoveryWindowDays?: number;
  /** Regions every secret is replicated to (Secrets Manager only). */
  replicaRegions?: string[];
  /** Extra tags on every resource. */
  tags?: Record<string, string>;
  audit?: AwsAuditSettings;
  ciWriter?: CiWriterSettings;
  rotation?: AwsRotationSettings;
}

const SETTINGS_KEYS = [
  "region",
  "store",
  "oidcProviderArn",
  "oidcIssuer",
  "deployerRoleArns",
  "layout",
  "kms",
  "recoveryWindowDays",
  "replicaRegions",
  "tags",
  "audit",
  "ciWriter",
  "rotation",
] as const;
const KMS_KEYS = ["existingKeyArn", "existingReplicaKeyArns", "deletionWindowInDays", "multiRegion"] as const;
const LAYOUT_KEYS = ["connectionsPrefix", "variablesPrefix", "configPrefix", "sep"] as const;
const ROTATION_KEYS = [
  "subnetIds",
  "securityGroupIds",
  "createSecretsManagerEndpointInVpc",
  "secretsManagerEndpointUrl",
  "passwordLength",
  "excludeCharacters",
  "caCertificates",
  "rotateImmediately",
  "duration",
  "logRetentionInDays",
] as const;

const at = (field: string) => `${SETTINGS_PATH}.${field}`;

/** Adds every problem with the settings; returns them typed when they have the right shape. */
export function validateAwsSettings(
  raw: Record<string, unknown>,
  production: boolean,
  problems: Problems,
): AwsBackendSettings | undefined {
  const before = problems.list.length;
  if (!problems.check(isPlainObject(raw), SETTINGS_PATH, "must be a map of AWS backend settings"))
    return undefined;
  const settings = raw as unknown as AwsBackendSettings;
  checkKnownKeys(settings, SETTINGS_KEYS, SETTINGS_PATH, problems);
  const regionOk =
    problems.check(settings.region !== undefined, at("region"), 'is required (e.g. "eu-west-1")') &&
    checkRegion(settings.region, at("region"), problems);
  const region = regionOk ? settings.region : undefined;
  const store = settings.store ?? "secretsmanager";
  problems.check(
    store === "secretsmanager" || store === "ssm",
    at("store"),
    `must be "secretsmanager" or "ssm" (got ${JSON.stringify(settings.store)})`,
  );
  checkOidc(
    settings.oidcProviderArn,
    settings.oidcIssuer,
    { providerArn: at("oidcProviderArn"), issuer: at("oidcIssuer") },
    problems,
  );
  if (store === "secretsmanager") {
    checkRoleArnList(
      settings.deployerRoleArns,
      at("deployerRoleArns"),
      problems,
      "is required with Secrets Manager: list the roles that run pulumi up/refresh (the AWS provider reads each secret version back; every other principal is denied the value)",
    );
  } else {
    problems.check(
      settings.deployerRoleArns === undefined,
      at("deployerRoleArns"),
      "applies only to the Secrets Manager store (parameters have no resource policy)",
    );
  }
  if (
    settings.layout !== undefined &&
    problems.check(isPlainObject(settings.layout), at("layout"), "must be a map")
  ) {
    checkKnownKeys(settings.layout, LAYOUT_KEYS, at("layout"), problems);
    for (const key of LAYOUT_KEYS) {
      const value = settings.layout[key];
      if (value === undefined) continue;
      problems.check(
        isString(value) && (key === "sep" || value.replace(/^\//, "").length > 0),
        at(`layout.${key}`),
        `must be a non-empty string: IAM policies are scoped by the prefix (got ${JSON.stringify(value)})`,
      );
    }
  }
  if (settings.kms !== undefined && problems.check(isPlainObject(settings.kms), at("kms"), "must be a map")) {
    checkKnownKeys(settings.kms, KMS_KEYS, at("kms"), problems);
    if (settings.kms.existingKeyArn !== undefined)
      checkKmsKeyArn(settings.kms.existingKeyArn, region, at("kms.existingKeyArn"), problems);
    checkKmsKeyDeletionWindow(settings.kms.deletionWindowInDays, at("kms.deletionWindowInDays"), problems);
    const replicaKeys = settings.kms.existingReplicaKeyArns;
    if (replicaKeys !== undefined) {
      problems.check(
        settings.kms.existingKeyArn !== undefined,
        at("kms.existingReplicaKeyArns"),
        "needs existingKeyArn",
      );
      if (
        problems.check(
          isPlainObject(replicaKeys),
          at("kms.existingReplicaKeyArns"),
          "must map replica regions to key ARNs",
        )
      ) {
        for (const [replicaRegion, arn] of Object.entries(replicaKeys)) {
          checkKmsKeyArn(arn, replicaRegion, at(`kms.existingReplicaKeyArns.${replicaRegion}`), problems);
          problems.check(
            (settings.replicaRegions ?? []).includes(replicaRegion),
            at(`kms.existingReplicaKeyArns.${replicaRegion}`),
            `${replicaRegion} is not in replicaRegions`,
          );
        }
      }
    }
    if (settings.kms.existingKeyArn !== undefined) {
      for (const replicaRegion of settings.replicaRegions ?? []) {
        problems.check(
          isPlainObject(replicaKeys) && replicaKeys[replicaRegion] !== undefined,
          at(`kms.existingReplicaKeyArns.${replicaRegion}`),
          `is required: secrets replicated to ${replicaRegion} need a key in ${replicaRegion}`,
        );
      }
    }
  }
  checkRecoveryWindow(settings.recoveryWindowDays, production, at("recoveryWindowDays"), problems);
  checkReplicaRegions(settings.replicaRegions, region, at("replicaRegions"), problems);
  if (store === "ssm")
    problems.check(
      settings.replicaRegions === undefined,
      at("replicaRegions"),
      "Parameter Store has no replication; use the Secrets Manager store",
    );
  checkTags(settings.tags, at("tags"), problems);
  if (
    settings.audit !== undefined &&
    problems.check(isPlainObject(settings.audit), at("audit"), "must be a map")
  ) {
    checkKnownKeys(settings.audit, AUDIT_TRAIL_KEYS, at("audit"), problems);
    if (settings.audit.enabled !== undefined)
      problems.check(
        typeof settings.audit.enabled === "boolean",
        at("audit.enabled"),
        "must be true or false",
      );
    if (production)
      problems.check(
        settings.audit.enabled !== false || settings.audit.existingTrail !== undefined,
        at("audit.enabled"),
        "false is refused in production, where access to secrets must be audited: leave it unset (the stack creates a trail), or, if a trail outside this stack already records the account, name its log group in audit.existingTrail.logGroupName",
      );
    validateAuditTrailArgs({ ...settings.audit, production }, problems, at("audit"));
  }
  const auditEnabled = isPlainObject(settings.audit) ? settings.audit.enabled : undefined;
  const auditOn = auditEnabled === undefined ? production : auditEnabled === true;
  if (auditOn && region !== undefined) checkAuditedKeys(region, settings.replicaRegions, problems);
  if (
    settings.ciWriter !== undefined &&
    problems.check(isPlainObject(settings.ciWriter), at("ciWriter"), "must be a map")
  ) {
    validateCiWriter(settings.ciWriter, at("ciWriter"), problems);
  }
  if (
    settings.rotation !== undefined &&
    problems.check(isPlainObject(settings.rotation), at("rotation"), "must be a map")
  ) {
    validateRotationSettings(settings.rotation, problems);
  }
  return problems.list.length > before ? undefined : { ...settings, store };
}

function validateRotationSettings(rotation: AwsRotationSettings, problems: Problems): void {
  checkKnownKeys(rotation, ROTATION_KEYS, at("rotation"), problems);
  const inVpc = rotation.subnetIds !== undefined || rotation.securityGroupIds !== undefined;
  if (inVpc) {
    checkIdList(
      rotation.subnetIds,
      SUBNET_ID_PATTERN,
      "subnet-0123456789abcdef0",
      at("rotation.subnetIds"),
      problems,
    );
    checkIdList(
      rotation.securityGroupIds,
      SECURITY_GROUP_ID_PATTERN,
      "sg-0123456789abcdef0",
      at("rotation.securityGroupIds"),
      problems,
    );
  }
  if (rotation.createSecretsManagerEndpointInVpc !== undefined) {
    problems.check(
      VPC_ID_PATTERN.test(String(rotation.createSecretsManagerEndpointInVpc)),
      at("rotation.createSecretsManagerEndpointInVpc"),
      `must be a VPC id like "vpc-0123456789abcdef0" (got ${JSON.stringify(rotation.createSecretsManagerEndpointInVpc)})`,
    );
    problems.check(
      inVpc,
      at("rotation.createSecretsManagerEndpointInVpc"),
      "needs subnetIds and securityGroupIds: the endpoint is created in the function's subnets",
    );
    problems.check(
      rotation.secretsManagerEndpointUrl === undefined,
      at("rotation.secretsManagerEndpointUrl"),
      "conflicts with createSecretsManagerEndpointInVpc",
    );
  }
  if (rotation.secretsManagerEndpointUrl !== undefined) {
    problems.check(
      isString(rotation.secretsManagerEndpointUrl) &&
        /^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/.test(rotation.secretsManagerEndpointUrl),
      at("rotation.secretsManagerEndpointUrl"),
      `must be an https:// endpoint URL (got ${JSON.stringify(rotation.secretsManagerEndpointUrl)})`,
    );
  }
  if (rotation.passwordLength !== undefined) {
    problems.check(
      Number.isInteger(rotation.passwordLength) &&
        rotation.passwordLength >= 16 &&
        rotation.passwordLength <= 4096,
      at("rotation.passwordLength"),
      `must be a whole number from 16 to 4096 (got ${JSON.stringify(rotation.passwordLength)})`,
    );
  }
  if (rotation.excludeCharacters !== undefined)
    problems.check(
      isString(rotation.excludeCharacters),
      at("rotation.excludeCharacters"),
      "must be a string of characters",
    );
  checkCaCertificates(rotation.caCertificates, at("rotation.caCertificates"), problems);
  if (rotation.rotateImmediately !== undefined)
    problems.check(
      typeof rotation.rotateImmediately === "boolean",
      at("rotation.rotateImmediately"),
      "must be true or false",
    );
  if (rotation.duration !== undefined)
    problems.check(
      isString(rotation.duration) && /^([1-9]|1\d|2[0-4])h$/.test(rotation.duration),
      at("rotation.duration"),
      `must be a window of 1h to 24h, e.g. "4h" (got ${JSON.stringify(rotation.duration)})`,
    );
  checkLogRetention(rotation.logRetentionInDays, undefined, at("rotation.logRetentionInDays"), problems);
}

/** CloudWatch Logs' limit on a metric filter pattern. */
export const MAX_FILTER_PATTERN_LENGTH = 1024;

/**
 * The key alarms' filters name the secrets key and one replica key per replica region, so many
 * replica regions make a pattern CloudWatch Logs refuses at deployment. Measured on the real filters
 * with the longest ARNs those regions can have (multi-Region key ids).
 */
function checkAuditedKeys(region: string, replicaRegions: unknown, problems: Problems): void {
  if (!Array.isArray(replicaRegions) || replicaRegions.length === 0 || !replicaRegions.every(isString))
    return;
  const regions = [region, ...replicaRegions];
  const keyArns = regions.map((r) => `arn:${partitionOf(r)}:kms:${r}:000000000000:key/mrk-${"0".repeat(32)}`);
  const longest = Math.max(
    ...auditFilters("secretsmanager", ["p/"], keyArns)
      .filter((f) => f.pattern.includes(keyArns[0]))
      .map((f) => f.pattern.length),
  );
  problems.check(
    longest <= MAX_FILTER_PATTERN_LENGTH,
    at("replicaRegions"),
    () =>
      `with audit on, each key alarm's filter names the key in every region (${regions.length}), a ${longest}-character pattern over CloudWatch Logs' limit of ${MAX_FILTER_PATTERN_LENGTH}; use fewer replica regions`,
  );
}
