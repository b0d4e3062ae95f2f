/**
 * The AWS backend's rules over its parsed settings (`airflow-secrets:aws`): what the schema's shape
 * cannot say (identifier formats, cross-field rules, production defaults). Pure: every rule adds an
 * `aws.<field>` problem, names the field and the rule, never the value, and registers nothing.
 */
import { ConnectionDeclaration, Problems } from "../airflow";
import { refuseWithExisting } from "../core/existing";
import { STANDARD_LABEL_KEYS } from "../core/labels";
import { checkRotationPrerequisites, checkRotatorPasswordSettings } from "../rotation/prerequisites";
import type { BackendContext } from "../backend";
import { validateCiWriter } from "./accessRoles";
import { checkAccounts } from "./accounts";
import { auditFilters, validateAuditTrailArgs } from "./auditTrail";
import { RotationSchedule, checkRotationSchedule } from "./rotationLambda";
import { AwsBackendSettings } from "./schema";
import {
  SECURITY_GROUP_ID_PATTERN,
  SUBNET_ID_PATTERN,
  VPC_ID_PATTERN,
  checkCaCertificates,
  checkIdList,
  checkKmsKeyArn,
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

/** A value with every `null` (a YAML block written with its children commented out) read as absent. */
export type WithoutNulls<T> = T extends readonly (infer Item)[]
  ? WithoutNulls<Item>[]
  : T extends object
    ? { [K in keyof T]: WithoutNulls<Exclude<T[K], null>> }
    : Exclude<T, null>;

/** The settings `resolve` works with: nulls read as absent, the store defaulted. */
export type AwsSettings = WithoutNulls<AwsBackendSettings> & { store: "secretsmanager" | "ssm" };

/** Drops null entries of maps at every depth (lists keep their items: a null item is a shape error). */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, dropNulls(v)]),
  );
}

/** The parsed settings as `resolve` reads them. */
export function normalizeSettings(settings: Partial<AwsBackendSettings>): AwsSettings {
  const clean = dropNulls(settings ?? {}) as WithoutNulls<AwsBackendSettings>;
  return { ...clean, store: clean.store ?? "secretsmanager" };
}

export const LAYOUT_PREFIXES = ["connectionsPrefix", "variablesPrefix", "configPrefix"] as const;
/** Settings of `kms` that only shape a key this library creates. */
const CREATED_KEY_ONLY = ["deletionWindowInDays", "multiRegion"] as const;

const at = (field: string) => `${SETTINGS_PATH}.${field}`;

/** Every rule of the AWS settings; top-level fields may be missing when the shape was salvaged. */
export function checkAwsSettings(
  settings: AwsSettings,
  context: Pick<BackendContext, "production" | "environment">,
  problems: Problems,
): void {
  const { production, environment } = context;
  const regionOk = settings.region !== undefined && checkRegion(settings.region, at("region"), problems);
  const region = regionOk ? settings.region : undefined;
  const store = settings.store;
  if (settings.oidcProviderArn !== undefined || settings.oidcIssuer !== undefined)
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
  if (settings.layout !== undefined) checkLayoutConfined(settings.layout, environment, problems);
  if (settings.kms !== undefined) checkKms(settings, region, problems);
  checkRecoveryWindow(settings.recoveryWindowDays, production, at("recoveryWindowDays"), problems);
  checkReplicaRegions(settings.replicaRegions, region, at("replicaRegions"), problems);
  if (store === "ssm")
    problems.check(
      settings.replicaRegions === undefined,
      at("replicaRegions"),
      "Parameter Store has no replication; use the Secrets Manager store",
    );
  checkTags(settings.tags, at("tags"), problems);
  for (const key of STANDARD_LABEL_KEYS)
    problems.check(
      settings.tags?.[key] === undefined,
      at(`tags.${key}`),
      "is a tag this library sets on every resource (environment, owner, managed-by); a stack may not retag its resources into another environment or owner",
    );
  if (settings.audit !== undefined) {
    if (production)
      problems.check(
        settings.audit.enabled !== false || settings.audit.existing !== undefined,
        at("audit.enabled"),
        "false is refused in production, where access to secrets must be audited: leave it unset (the stack creates a trail), or, if a trail outside this stack already records the account, name its log group in audit.existing.logGroupName",
      );
    validateAuditTrailArgs({ ...settings.audit, production }, problems, at("audit"));
  }
  if (auditEnabled(settings, production) && region !== undefined)
    checkAuditedKeys(region, settings.replicaRegions, problems);
  if (settings.ciWriter !== undefined) validateCiWriter(settings.ciWriter, at("ciWriter"), problems);
  if (settings.rotation !== undefined) checkRotationSettings(settings.rotation, problems);
  checkAccounts(settings, problems);
}

/** Audit is on in production unless turned off (with an existing trail), and off elsewhere unless on. */
export function auditEnabled(settings: AwsSettings, production: boolean): boolean {
  return settings.audit?.enabled ?? production;
}

function checkKms(settings: AwsSettings, region: string | undefined, problems: Problems): void {
  const kms = settings.kms!;
  refuseWithExisting(kms, CREATED_KEY_ONLY, at("kms"), problems);
  const existing = kms.existing;
  if (existing === undefined) return;
  checkKmsKeyArn(existing.keyArn, region, at("kms.existing.keyArn"), problems);
  const replicaKeys = existing.replicaKeyArns ?? {};
  for (const [replicaRegion, arn] of Object.entries(replicaKeys)) {
    const path = at(`kms.existing.replicaKeyArns.${replicaRegion}`);
    checkKmsKeyArn(arn, replicaRegion, path, problems);
    problems.check(
      (settings.replicaRegions ?? []).includes(replicaRegion),
      path,
      "names a region that is not in replicaRegions",
    );
  }
  for (const replicaRegion of settings.replicaRegions ?? [])
    problems.check(
      replicaKeys[replicaRegion] !== undefined,
      at(`kms.existing.replicaKeyArns.${replicaRegion}`),
      `is required: secrets replicated to ${replicaRegion} need a key in ${replicaRegion}`,
    );
}

/** Whether `prefix + sep` names the environment as a whole path segment and ends on a boundary. */
export function isConfinedPrefix(prefix: string, sep: string | undefined, environment: string): boolean {
  const scope = `${prefix}${sep ?? "/"}`.replace(/^\//, "");
  const segments = scope.split("/").slice(0, -1);
  return (
    !/[*?]/.test(scope) &&
    scope.endsWith("/") &&
    segments.includes(environment) &&
    segments.every((segment) => segment.length > 0)
  );
}

/**
 * The reader's and the CI writer's grants are `prefix + sep*`, so each prefix must name this
 * environment as a whole path segment and end on a segment boundary: `"*"`, an empty prefix or
 * `airflow` with `sep: ""` would reach every other environment's secrets (`airflow/prod*` also
 * covers `airflow/production/…`).
 */
function checkLayoutConfined(
  layout: NonNullable<AwsSettings["layout"]>,
  environment: string,
  problems: Problems,
): void {
  for (const key of LAYOUT_PREFIXES) {
    const prefix = layout[key];
    if (prefix === undefined) continue;
    problems.check(
      isConfinedPrefix(prefix, layout.sep, environment),
      at(`layout.${key}`),
      `must keep the environment's secrets apart: prefix + sep must contain "${environment}" as a whole path segment, end with "/", and hold no empty segment or IAM wildcard (* ?), e.g. "airflow/${environment}/${key.replace("Prefix", "")}"`,
    );
  }
}

function checkRotationSettings(rotation: NonNullable<AwsSettings["rotation"]>, problems: Problems): void {
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
      VPC_ID_PATTERN.test(rotation.createSecretsManagerEndpointInVpc),
      at("rotation.createSecretsManagerEndpointInVpc"),
      'must be a VPC id like "vpc-0123456789abcdef0"',
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
  if (rotation.secretsManagerEndpointUrl !== undefined)
    problems.check(
      isString(rotation.secretsManagerEndpointUrl) &&
        /^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/.test(rotation.secretsManagerEndpointUrl),
      at("rotation.secretsManagerEndpointUrl"),
      "must be an https:// endpoint URL (scheme, host and optional port)",
    );
  checkCaCertificates(rotation.caCertificates, at("rotation.caCertificates"), problems);
  // The rotation function refuses these at registration; found here, they are reported with everything else.
  checkRotatorPasswordSettings(
    { length: rotation.passwordLength, excludeCharacters: rotation.excludeCharacters },
    { length: at("rotation.passwordLength"), excludeCharacters: at("rotation.excludeCharacters") },
    problems,
  );
  if (rotation.duration !== undefined)
    problems.check(
      /^([1-9]|1\d|2[0-4])h$/.test(rotation.duration),
      at("rotation.duration"),
      'must be a window of 1h to 24h, e.g. "4h"',
    );
  checkLogRetention(rotation.logRetentionInDays, undefined, at("rotation.logRetentionInDays"), problems);
}

/** Rotation settings of a connection as the schedule Secrets Manager gets. */
export function scheduleFor(conn: ConnectionDeclaration, settings: AwsSettings): RotationSchedule {
  const everyDays = conn.rotation!.everyDays;
  const duration = settings.rotation?.duration;
  return duration !== undefined ? { scheduleExpression: `rate(${everyDays} days)`, duration } : { everyDays };
}

/**
 * Rotation's prerequisites: the ones every cloud shares (`checkRotationPrerequisites`: JSON
 * connections, a driver for each conn_type and its master's, login lengths), then AWS's own: the
 * Secrets Manager store (Parameter Store cannot rotate) and, in production, at most 90 days.
 */
export function checkAwsRotations(context: BackendContext, settings: AwsSettings, problems: Problems): void {
  const connections = Array.isArray(context.declarations?.connections)
    ? context.declarations.connections
    : [];
  const rotated = connections.filter(
    (c): c is ConnectionDeclaration =>
      typeof c === "object" && c !== null && typeof c.rotation === "object" && c.rotation !== null,
  );
  if (rotated.length === 0) {
    problems.check(
      settings.rotation?.createSecretsManagerEndpointInVpc === undefined,
      at("rotation.createSecretsManagerEndpointInVpc"),
      "no connection declares rotation, so no rotation function would use the endpoint and none is created; remove the setting (or declare rotation on a connection)",
    );
    return;
  }
  checkRotationPrerequisites(context.declarations, context.airflow, problems);
  for (const conn of rotated) {
    const path = `connections[${conn.conn_id}].rotation`;
    if (settings.store === "ssm")
      problems.add(
        path,
        "rotation needs the Secrets Manager store (Parameter Store has no rotation); set aws.store to secretsmanager",
      );
    if (Number.isInteger(conn.rotation!.everyDays))
      checkRotationSchedule(scheduleFor(conn, settings), context.production, path, problems);
  }
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
