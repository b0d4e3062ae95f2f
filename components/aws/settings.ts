/**
 * The AWS backend's stack settings (`airflow-secrets:aws` in Pulumi.<env>.yaml) and their
 * validation. Every rule reports `aws.<field>` paths; nothing here registers a resource.
 */
import { Problems } from "../airflow";
import { parseSettingsSalvaging } from "../core/schema";
import { AwsBackendSettings, settingsSchema } from "./schema";
import { validateCiWriter } from "./accessRoles";
import { auditFilters, validateAuditTrailArgs } from "./auditTrail";
import {
  SECURITY_GROUP_ID_PATTERN,
  SUBNET_ID_PATTERN,
  VPC_ID_PATTERN,
  checkCaCertificates,
  checkIdList,
  checkKmsKeyArn,
  checkKmsKeyDeletionWindow,
  checkLogRetention,
  checkOidc,
  checkRecoveryWindow,
  checkRegion,
  checkReplicaRegions,
  checkRoleArnList,
  checkTags,
  isString,
  partitionOf,
} from "./validation";

export const SETTINGS_PATH = "aws";

export type { AwsBackendSettings, AwsBackendSettingsInput } from "./schema";

const LAYOUT_PREFIXES = ["connectionsPrefix", "variablesPrefix", "configPrefix"] as const;

const at = (field: string) => `${SETTINGS_PATH}.${field}`;

/** Adds every problem with the settings; returns them typed when they have the right shape. */
export function validateAwsSettings(
  raw: unknown,
  production: boolean,
  allProblems: Problems,
  environment?: string,
): AwsBackendSettings | undefined {
  // The shape first (types, enums, unknown keys at every depth); the rules below run on what parsed,
  // so a typo does not hide a broken rule elsewhere.
  const parsed = parseSettingsSalvaging(settingsSchema, raw ?? {}, SETTINGS_PATH, allProblems);
  if (parsed.value === undefined) return undefined;
  const problems = new Problems();
  checkRules(parsed.value, production, environment, problems);
  parsed.report(problems);
  return parsed.ok && problems.empty
    ? { ...parsed.value, store: parsed.value.store ?? "secretsmanager" }
    : undefined;
}

function checkRules(
  settings: AwsBackendSettings,
  production: boolean,
  environment: string | undefined,
  problems: Problems,
): void {
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
  if (settings.layout !== undefined && environment !== undefined)
    checkLayoutConfined(settings.layout, environment, problems);
  if (settings.kms !== undefined) {
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
      {
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
          replicaKeys?.[replicaRegion] !== undefined,
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
  if (settings.audit !== undefined) {
    if (production)
      problems.check(
        settings.audit.enabled !== false || settings.audit.existingTrail !== undefined,
        at("audit.enabled"),
        "false is refused in production, where access to secrets must be audited: leave it unset (the stack creates a trail), or, if a trail outside this stack already records the account, name its log group in audit.existingTrail.logGroupName",
      );
    validateAuditTrailArgs({ ...settings.audit, production }, problems, at("audit"));
  }
  const auditEnabled = settings.audit?.enabled;
  const auditOn = auditEnabled ?? production;
  if (auditOn && region !== undefined) checkAuditedKeys(region, settings.replicaRegions, problems);
  if (settings.ciWriter !== undefined) validateCiWriter(settings.ciWriter, at("ciWriter"), problems);
  if (settings.rotation !== undefined) validateRotationSettings(settings.rotation, problems);
}

/**
 * The reader's and the CI writer's grants are `prefix + sep*`, so each prefix must name this
 * environment as a whole path segment and end on a segment boundary: `"*"`, an empty prefix or
 * `airflow` with `sep: ""` would reach every other environment's secrets (`airflow/prod*` also
 * covers `airflow/production/…`).
 */
function checkLayoutConfined(
  layout: NonNullable<AwsBackendSettings["layout"]>,
  environment: string,
  problems: Problems,
): void {
  const sep = layout.sep ?? "/";
  for (const key of LAYOUT_PREFIXES) {
    const prefix = layout[key];
    if (prefix === undefined) continue;
    const scope = `${prefix}${sep}`.replace(/^\//, "");
    const segments = scope.split("/");
    problems.check(
      !/[*?]/.test(scope) &&
        scope.endsWith("/") &&
        segments.slice(0, -1).includes(environment) &&
        segments.slice(0, -1).every((segment) => segment.length > 0),
      at(`layout.${key}`),
      `must keep the environment's secrets apart: prefix + sep must contain "${environment}" as a whole path segment, end with "/", and hold no empty segment or IAM wildcard (* ?), e.g. "airflow/${environment}/${key.replace("Prefix", "")}"`,
    );
  }
}

function validateRotationSettings(
  rotation: NonNullable<AwsBackendSettings["rotation"]>,
  problems: Problems,
): void {
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
  checkCaCertificates(rotation.caCertificates, at("rotation.caCertificates"), problems);
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
