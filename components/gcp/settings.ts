/**
 * The GCP backend's settings (stack config `airflow-secrets:gcp`) and their validation. Everything
 * here runs before any resource exists: a bad value becomes a Problem naming `gcp.<field>` and the
 * rule, and `resolveGcpSettings` returns the settings with every default applied.
 */
import { RotationDeclaration, SecretsDeclarations, SecretsLayout, Problems } from "../airflow";

/** Bring-your-own KMS and the keys this backend creates. */
export interface GcpKmsSettings {
  /** Rotation period of the keys this backend creates, `"<seconds>s"`, more than 1 day and at most 90 days. Default `"7776000s"` (90 days). */
  rotationPeriod?: string;
  /** Name of the key ring created per location. Default `airflow-{environment}-secrets`. Key rings can never be deleted in GCP. */
  keyRingName?: string;
  /** Name of the crypto key created per location. Default `secret-manager`. */
  keyName?: string;
  /** Existing crypto keys by location (`projects/P/locations/L/keyRings/R/cryptoKeys/K`); nothing is created there. */
  existingKeys?: Record<string, string>;
  /** Existing key rings by location (`projects/P/locations/L/keyRings/R`); the crypto key is created inside. */
  existingKeyRings?: Record<string, string>;
}

/** The CI identity that writes new secret versions but can never read one. */
export interface GcpCiWriterSettings {
  /** Create the writer service account. Default true. */
  enabled?: boolean;
  /** Service account id. Default `airflow-{environment}-writer`. */
  accountId?: string;
  /** Also grant `roles/secretmanager.secretVersionManager` (disable/enable/destroy old versions; still no payload access). Default false. */
  manageVersions?: boolean;
  /** Workload Identity Federation principals (e.g. a GitHub repository's `principalSet://…`) allowed to act as the writer. */
  workloadIdentityPrincipals?: string[];
}

export type GcpAuditSinkType = "bucket" | "bigquery";

export interface GcpAuditSettings {
  /** Enable Data Access audit logs, the access-log sink and the alert. Default true; production refuses false. */
  enabled?: boolean;
  /** Where Secret Manager audit entries are kept. */
  sink?: {
    /** `bucket` (Cloud Storage, retention-locked window) or `bigquery` (queryable). Default `bucket`. */
    type?: GcpAuditSinkType;
    /** Bucket or dataset location. Default the first secret location. */
    location?: string;
    /** Days entries are kept (bucket retention policy / table expiration). Default 365 in production, 30 otherwise. */
    retentionDays?: number;
    /** Bucket name (globally unique) or dataset id. Defaults: `{project}-af-{env}-sm-audit` / `airflow_{env}_secret_audit`. */
    name?: string;
  };
  /** Monitoring notification channels (`projects/P/notificationChannels/N`). Production needs at least one. */
  notificationChannels?: string[];
  /** Alert when Airflow's account fails more than this many lookups in the window (undeclared ids come back PERMISSION_DENIED or NOT_FOUND). Default 20 (Airflow asks the backend for every conn_id, declared or not). */
  notFoundThreshold?: number;
  /** Alert window in seconds. Default 300. */
  windowSeconds?: number;
}

/** Per-connection Secret Manager rotation schedule overrides. */
export interface GcpRotationSchedule {
  /** `"<seconds>s"`, at least 3600s. Default: the declaration's `rotation.everyDays`. */
  rotationPeriod?: string;
  /** RFC 3339 time of the first rotation, at least 5 minutes ahead. Default: the next slot of the period after an anchor (see README). */
  nextRotationTime?: string;
}

export interface GcpRotationSettings {
  /** Region of the rotation function. Default the first secret location. */
  region?: string;
  /** Serverless VPC Access connector (`projects/P/locations/R/connectors/C`) for private database addresses. */
  vpcConnector?: string;
  /** Which traffic goes through the connector. Default `PRIVATE_RANGES_ONLY`. */
  vpcConnectorEgress?: "PRIVATE_RANGES_ONLY" | "ALL_TRAFFIC";
  /** Function timeout in seconds, 60-540. Default 120. */
  timeoutSeconds?: number;
  /** Generated password length. Default 32. */
  passwordLength?: number;
  /** Characters never used in generated passwords (default: the rotation core's). */
  excludeCharacters?: string;
  /** Name of the bucket holding the function source. Default `{project}-af-{env}-rotator`. */
  sourceBucket?: string;
  /** Service account id of the rotation function. Default `airflow-{environment}-rotator`. */
  accountId?: string;
  /**
   * Service account Cloud Build uses to build the function (`projects/P/serviceAccounts/EMAIL`). Needed
   * where the default compute service account has no build permissions (new organisations since 2024).
   */
  buildServiceAccount?: string;
  /** Schedule overrides by conn_id (only rotated connections). */
  connections?: Record<string, GcpRotationSchedule>;
}

/** `airflow-secrets:gcp` in a stack file. */
export interface GcpBackendSettings {
  /** Project id holding the secrets. Required. */
  project: string;
  /** Project number; looked up from the project when absent. */
  projectNumber?: string;
  /** Replica locations (regions) of every secret; each gets its own CMEK key. Required. */
  locations: string[];
  /** Overrides of the contract's GCP layout (`airflow-{env}-connections`, sep `-`). */
  layout?: Partial<Omit<SecretsLayout, "mountPoint">>;
  /** Extra labels on every secret. */
  labels?: Record<string, string>;
  /** Delayed destruction of secret versions, `"<seconds>s"` from 1 to 1000 days. Default 7 days in production, none otherwise. */
  versionDestroyTtl?: string;
  kms?: GcpKmsSettings;
  /** Workload Identity pool of the GKE cluster. Default `{project}.svc.id.goog`. */
  workloadIdentityPool?: string;
  /** Service account id for Airflow. Default `airflow-{environment}`. */
  airflowAccountId?: string;
  ciWriter?: GcpCiWriterSettings;
  audit?: GcpAuditSettings;
  rotation?: GcpRotationSettings;
}

/** What the backend works with once every default is applied. */
export interface ResolvedGcpSettings {
  project: string;
  projectNumber?: string;
  locations: string[];
  layout: Partial<SecretsLayout>;
  labels: Record<string, string>;
  versionDestroyTtl?: string;
  kms: {
    rotationPeriod: string;
    keyRingName: string;
    keyName: string;
    existingKeys: Record<string, string>;
    existingKeyRings: Record<string, string>;
    protect: boolean;
  };
  workloadIdentityPool: string;
  airflowAccountId: string;
  ciWriter: {
    enabled: boolean;
    accountId: string;
    manageVersions: boolean;
    workloadIdentityPrincipals: string[];
  };
  audit: {
    enabled: boolean;
    sinkType: GcpAuditSinkType;
    sinkLocation: string;
    retentionDays: number;
    bucketName: string;
    datasetId: string;
    notificationChannels: string[];
    notFoundThreshold: number;
    windowSeconds: number;
  };
  rotation: {
    region: string;
    vpcConnector?: string;
    vpcConnectorEgress: "PRIVATE_RANGES_ONLY" | "ALL_TRAFFIC";
    timeoutSeconds: number;
    passwordLength: number;
    excludeCharacters?: string;
    sourceBucket: string;
    accountId: string;
    buildServiceAccount?: string;
    /** By conn_id, for every rotated connection. */
    schedules: Record<
      string,
      { rotationPeriod: string; nextRotationTime: string; declaration: RotationDeclaration }
    >;
  };
}

export interface GcpSettingsInput {
  environment: string;
  production: boolean;
  owner?: string;
  declarations: SecretsDeclarations;
  settings: GcpBackendSettings;
  /** Clock for "in the future" checks and default rotation slots (tests pin it). */
  now?: Date;
}

const DAY = 86_400;
export const MAX_KMS_ROTATION_SECONDS = 90 * DAY;
export const MIN_SECRET_ROTATION_SECONDS = 3_600;
/** Secret Manager refuses a next rotation time less than 5 minutes ahead. */
export const MIN_NEXT_ROTATION_LEAD_SECONDS = 300;
export const DEFAULT_KMS_ROTATION_PERIOD = `${MAX_KMS_ROTATION_SECONDS}s`;
export const PRODUCTION_VERSION_DESTROY_TTL = `${7 * DAY}s`;
/**
 * Default rotation slots are `ROTATION_ANCHOR + k × period`: deterministic (synth output stays byte-stable
 * within a period) and at 03:00 UTC, when batch traffic is usually lowest.
 */
export const ROTATION_ANCHOR = Date.UTC(2024, 0, 1, 3, 0, 0);

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION = /^[a-z]+-[a-z]+[0-9]+$/;
const ACCOUNT_ID = /^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/;
const KMS_NAME = /^[a-zA-Z0-9_-]{1,63}$/;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const GCP_PREFIX_CHARS = /^[A-Za-z0-9_-]*$/;
const DURATION = /^(\d+)(?:\.\d{1,9})?s$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;
const DATASET_ID = /^[A-Za-z0-9_]{1,1024}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** Seconds of a GCP duration string (`"3600s"`), or undefined when it is not one. */
export function durationSeconds(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = DURATION.exec(value);
  return match ? Number(match[1]) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function checkDuration(
  problems: Problems,
  path: string,
  value: unknown,
  min: number,
  max: number,
  what: string,
): string | undefined {
  const seconds = durationSeconds(value);
  if (
    !problems.check(
      seconds !== undefined,
      path,
      `must be a duration in seconds like "3600s" (got ${JSON.stringify(value)})`,
    )
  )
    return undefined;
  if (!problems.check(seconds! >= min && seconds! <= max, path, `${what} (got ${JSON.stringify(value)})`))
    return undefined;
  return value as string;
}

function checkStringMap(problems: Problems, path: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (
    !problems.check(
      isRecord(value) && Object.values(value).every((v) => typeof v === "string"),
      path,
      "must map names to strings",
    )
  )
    return {};
  return value as Record<string, string>;
}

/** The next default rotation slot at least an hour after `now`. */
export function defaultNextRotationTime(periodSeconds: number, now: Date): string {
  const earliest = now.getTime() + 3_600_000;
  const periodMs = periodSeconds * 1000;
  const slots = Math.ceil((earliest - ROTATION_ANCHOR) / periodMs);
  return new Date(ROTATION_ANCHOR + Math.max(slots, 0) * periodMs).toISOString().replace(/\.000Z$/, "Z");
}

/** Service account / bucket names are derived from the environment; say how to fix an overlong one. */
function derived(name: string, setting: string): string {
  return `the default "${name}" is not valid here; set ${setting}`;
}

function checkLayout(problems: Problems, layout: unknown): Partial<SecretsLayout> {
  if (layout === undefined) return {};
  if (
    !problems.check(
      isRecord(layout),
      "gcp.layout",
      "must be an object with connectionsPrefix, variablesPrefix, configPrefix or sep",
    )
  )
    return {};
  const allowed = ["connectionsPrefix", "variablesPrefix", "configPrefix", "sep"];
  const out: Partial<SecretsLayout> = {};
  for (const [key, value] of Object.entries(layout as Record<string, unknown>)) {
    if (
      !problems.check(
        allowed.includes(key),
        `gcp.layout.${key}`,
        `is not a GCP layout field (allowed: ${allowed.join(", ")})`,
      )
    )
      continue;
    if (!problems.check(typeof value === "string", `gcp.layout.${key}`, "must be a string")) continue;
    problems.check(
      GCP_PREFIX_CHARS.test(value as string),
      `gcp.layout.${key}`,
      `may contain only letters, digits, _ and - because Secret Manager ids allow nothing else and CloudSecretManagerBackend substitutes nothing (got "${value}")`,
    );
    (out as Record<string, string>)[key] = value as string;
  }
  if (out.connectionsPrefix === "" || out.variablesPrefix === "" || out.configPrefix === "") {
    problems.add("gcp.layout", "prefixes must not be empty: the audit filters and IAM scoping rely on them");
  }
  return out;
}

/** KMS needs more than a day between rotations; the checklist allows at most 90 days. */
export function checkKmsRotationPeriod(problems: Problems, path: string, value: unknown): string | undefined {
  return checkDuration(
    problems,
    path,
    value,
    DAY + 1,
    MAX_KMS_ROTATION_SECONDS,
    `must be more than 1 day (KMS minimum) and at most 90 days = ${MAX_KMS_ROTATION_SECONDS}s (the production checklist's rotation cadence)`,
  );
}

function checkKms(
  problems: Problems,
  kms: unknown,
  locations: string[],
  environment: string,
  production: boolean,
): ResolvedGcpSettings["kms"] {
  const input = (isRecord(kms) ? kms : {}) as GcpKmsSettings;
  if (kms !== undefined) problems.check(isRecord(kms), "gcp.kms", "must be an object");
  const rotationPeriod =
    checkKmsRotationPeriod(
      problems,
      "gcp.kms.rotationPeriod",
      input.rotationPeriod ?? DEFAULT_KMS_ROTATION_PERIOD,
    ) ?? DEFAULT_KMS_ROTATION_PERIOD;
  const keyRingName = input.keyRingName ?? `airflow-${environment}-secrets`;
  const keyName = input.keyName ?? "secret-manager";
  problems.check(
    KMS_NAME.test(keyRingName),
    "gcp.kms.keyRingName",
    `must be 1-63 letters, digits, _ or - (got "${keyRingName}")`,
  );
  problems.check(
    KMS_NAME.test(keyName),
    "gcp.kms.keyName",
    `must be 1-63 letters, digits, _ or - (got "${keyName}")`,
  );
  const existingKeys = checkStringMap(problems, "gcp.kms.existingKeys", input.existingKeys);
  const existingKeyRings = checkStringMap(problems, "gcp.kms.existingKeyRings", input.existingKeyRings);
  const keyPattern = /^projects\/[^/]+\/locations\/([^/]+)\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;
  const ringPattern = /^projects\/[^/]+\/locations\/([^/]+)\/keyRings\/[^/]+$/;
  for (const [map, pattern, label, example] of [
    [existingKeys, keyPattern, "existingKeys", "projects/P/locations/L/keyRings/R/cryptoKeys/K"],
    [existingKeyRings, ringPattern, "existingKeyRings", "projects/P/locations/L/keyRings/R"],
  ] as const) {
    for (const [location, id] of Object.entries(map)) {
      const path = `gcp.kms.${label}.${location}`;
      problems.check(
        locations.includes(location),
        path,
        `"${location}" is not one of gcp.locations (${locations.join(", ")})`,
      );
      const match = pattern.exec(id);
      if (problems.check(match !== null, path, `must be a full resource name ${example} (got "${id}")`)) {
        problems.check(
          match![1] === location,
          path,
          `is in location "${match![1]}"; a replica in "${location}" can only use a key in "${location}"`,
        );
      }
    }
  }
  for (const location of Object.keys(existingKeys)) {
    problems.check(
      !(location in existingKeyRings),
      `gcp.kms.existingKeyRings.${location}`,
      "names a location that already has an existing key; give one or the other",
    );
  }
  return { rotationPeriod, keyRingName, keyName, existingKeys, existingKeyRings, protect: production };
}

function checkCiWriter(
  problems: Problems,
  value: unknown,
  environment: string,
): ResolvedGcpSettings["ciWriter"] {
  if (value !== undefined) problems.check(isRecord(value), "gcp.ciWriter", "must be an object");
  const input = (isRecord(value) ? value : {}) as GcpCiWriterSettings;
  const accountId = input.accountId ?? `airflow-${environment}-writer`;
  const enabled = input.enabled ?? true;
  if (enabled) {
    problems.check(
      ACCOUNT_ID.test(accountId),
      "gcp.ciWriter.accountId",
      input.accountId === undefined
        ? derived(accountId, "gcp.ciWriter.accountId (6-30 lowercase letters, digits or -)")
        : `must be 6-30 lowercase letters, digits or -, starting with a letter (got "${accountId}")`,
    );
  }
  const principals = input.workloadIdentityPrincipals ?? [];
  if (
    problems.check(Array.isArray(principals), "gcp.ciWriter.workloadIdentityPrincipals", "must be a list")
  ) {
    principals.forEach((p, i) =>
      problems.check(
        typeof p === "string" && /^principal(Set)?:\/\/iam\.googleapis\.com\/.+/.test(p),
        `gcp.ciWriter.workloadIdentityPrincipals[${i}]`,
        `must be a Workload Identity Federation principal (principal://iam.googleapis.com/… or principalSet://iam.googleapis.com/…) (got ${JSON.stringify(p)})`,
      ),
    );
  }
  return {
    enabled,
    accountId,
    manageVersions: input.manageVersions === true,
    workloadIdentityPrincipals: Array.isArray(principals) ? principals : [],
  };
}

function checkAudit(
  problems: Problems,
  value: unknown,
  s: { project: string; environment: string; production: boolean; locations: string[] },
): ResolvedGcpSettings["audit"] {
  if (value !== undefined) problems.check(isRecord(value), "gcp.audit", "must be an object");
  const input = (isRecord(value) ? value : {}) as GcpAuditSettings;
  const enabled = input.enabled ?? true;
  if (s.production) {
    problems.check(
      enabled,
      "gcp.audit.enabled",
      "production keeps audit logging on (the checklist requires backend audit logs and alerting on failed lookups)",
    );
  }
  const sink = (isRecord(input.sink) ? input.sink : {}) as NonNullable<GcpAuditSettings["sink"]>;
  if (input.sink !== undefined) problems.check(isRecord(input.sink), "gcp.audit.sink", "must be an object");
  const sinkType = sink.type ?? "bucket";
  problems.check(
    sinkType === "bucket" || sinkType === "bigquery",
    "gcp.audit.sink.type",
    `must be "bucket" or "bigquery" (got "${sinkType}")`,
  );
  const retentionDays = sink.retentionDays ?? (s.production ? 365 : 30);
  problems.check(
    Number.isInteger(retentionDays) && retentionDays >= 1 && retentionDays <= 3650,
    "gcp.audit.sink.retentionDays",
    `must be a whole number of days from 1 to 3650 (got ${JSON.stringify(retentionDays)})`,
  );
  const bucketName = sinkType === "bucket" ? (sink.name ?? `${s.project}-af-${s.environment}-sm-audit`) : "";
  const datasetId =
    sinkType === "bigquery" ? (sink.name ?? `airflow_${s.environment.replace(/-/g, "_")}_secret_audit`) : "";
  if (enabled && sinkType === "bucket") {
    problems.check(
      BUCKET_NAME.test(bucketName) && !bucketName.startsWith("goog"),
      "gcp.audit.sink.name",
      sink.name === undefined
        ? derived(bucketName, "gcp.audit.sink.name (3-63 lowercase letters, digits, _ or -)")
        : `must be a bucket name: 3-63 lowercase letters, digits, _ or - (got "${bucketName}")`,
    );
  }
  if (enabled && sinkType === "bigquery") {
    problems.check(
      DATASET_ID.test(datasetId),
      "gcp.audit.sink.name",
      `must be a BigQuery dataset id: letters, digits and _ (got "${datasetId}")`,
    );
  }
  const channels = input.notificationChannels ?? [];
  if (problems.check(Array.isArray(channels), "gcp.audit.notificationChannels", "must be a list")) {
    channels.forEach((c, i) =>
      problems.check(
        typeof c === "string" && /^projects\/[^/]+\/notificationChannels\/[^/]+$/.test(c),
        `gcp.audit.notificationChannels[${i}]`,
        `must be projects/PROJECT/notificationChannels/ID (got ${JSON.stringify(c)})`,
      ),
    );
    if (s.production && enabled) {
      problems.check(
        channels.length > 0,
        "gcp.audit.notificationChannels",
        "production alerts must notify someone: list at least one channel",
      );
    }
  }
  const notFoundThreshold = input.notFoundThreshold ?? 20;
  problems.check(
    Number.isInteger(notFoundThreshold) && notFoundThreshold >= 0,
    "gcp.audit.notFoundThreshold",
    `must be a whole number ≥ 0 (got ${JSON.stringify(notFoundThreshold)})`,
  );
  const windowSeconds = input.windowSeconds ?? 300;
  problems.check(
    Number.isInteger(windowSeconds) && windowSeconds >= 60 && windowSeconds <= 86_400,
    "gcp.audit.windowSeconds",
    `must be whole seconds from 60 to 86400 (got ${JSON.stringify(windowSeconds)})`,
  );
  const sinkLocation = sink.location ?? s.locations[0] ?? "";
  return {
    enabled,
    sinkType,
    sinkLocation,
    retentionDays,
    bucketName,
    datasetId,
    notificationChannels: Array.isArray(channels) ? channels : [],
    notFoundThreshold,
    windowSeconds,
  };
}

function checkRotation(
  problems: Problems,
  value: unknown,
  s: {
    project: string;
    environment: string;
    locations: string[];
    declarations: SecretsDeclarations;
    now: Date;
  },
): ResolvedGcpSettings["rotation"] {
  if (value !== undefined) problems.check(isRecord(value), "gcp.rotation", "must be an object");
  const input = (isRecord(value) ? value : {}) as GcpRotationSettings;
  const rotated = (s.declarations.connections ?? []).filter((c) => c?.rotation !== undefined);
  const region = input.region ?? s.locations[0] ?? "";
  if (input.region !== undefined)
    problems.check(
      REGION.test(region),
      "gcp.rotation.region",
      `must be a Cloud Functions region like "europe-west1" (got "${region}")`,
    );
  if (input.vpcConnector !== undefined) {
    const connector = /^projects\/[^/]+\/locations\/([^/]+)\/connectors\/[^/]+$/.exec(
      String(input.vpcConnector),
    );
    if (
      problems.check(
        connector !== null,
        "gcp.rotation.vpcConnector",
        `must be projects/P/locations/R/connectors/C (got "${input.vpcConnector}")`,
      )
    ) {
      // Serverless VPC Access serves only functions in the connector's own region.
      problems.check(
        connector![1] === region,
        "gcp.rotation.vpcConnector",
        `is in "${connector![1]}" but the rotation function runs in "${region}" (gcp.rotation.region, default the first of gcp.locations); a function can only use a connector in its own region`,
      );
    }
  }
  const egress = input.vpcConnectorEgress ?? "PRIVATE_RANGES_ONLY";
  problems.check(
    egress === "PRIVATE_RANGES_ONLY" || egress === "ALL_TRAFFIC",
    "gcp.rotation.vpcConnectorEgress",
    `must be PRIVATE_RANGES_ONLY or ALL_TRAFFIC (got "${egress}")`,
  );
  const timeoutSeconds = input.timeoutSeconds ?? 120;
  problems.check(
    Number.isInteger(timeoutSeconds) && timeoutSeconds >= 60 && timeoutSeconds <= 540,
    "gcp.rotation.timeoutSeconds",
    `must be whole seconds from 60 to 540 (got ${JSON.stringify(timeoutSeconds)})`,
  );
  const passwordLength = input.passwordLength ?? 32;
  problems.check(
    Number.isInteger(passwordLength) && passwordLength >= 16 && passwordLength <= 99,
    "gcp.rotation.passwordLength",
    `must be a whole number from 16 to 99 (PostgreSQL and MySQL accept up to 99; got ${JSON.stringify(passwordLength)})`,
  );
  if (input.excludeCharacters !== undefined)
    problems.check(
      typeof input.excludeCharacters === "string",
      "gcp.rotation.excludeCharacters",
      "must be a string",
    );
  if (input.buildServiceAccount !== undefined) {
    problems.check(
      /^projects\/[^/]+\/serviceAccounts\/[^/@]+@[^/]+$/.test(input.buildServiceAccount),
      "gcp.rotation.buildServiceAccount",
      `must be projects/PROJECT/serviceAccounts/EMAIL (got "${input.buildServiceAccount}")`,
    );
  }
  const sourceBucket = input.sourceBucket ?? `${s.project}-af-${s.environment}-rotator`;
  const accountId = input.accountId ?? `airflow-${s.environment}-rotator`;
  if (rotated.length > 0) {
    problems.check(
      BUCKET_NAME.test(sourceBucket) && !sourceBucket.startsWith("goog"),
      "gcp.rotation.sourceBucket",
      input.sourceBucket === undefined
        ? derived(sourceBucket, "gcp.rotation.sourceBucket")
        : `must be a bucket name: 3-63 lowercase letters, digits, _ or - (got "${sourceBucket}")`,
    );
    problems.check(
      ACCOUNT_ID.test(accountId),
      "gcp.rotation.accountId",
      input.accountId === undefined
        ? derived(accountId, "gcp.rotation.accountId")
        : `must be 6-30 lowercase letters, digits or -, starting with a letter (got "${accountId}")`,
    );
  }

  const overrides = input.connections === undefined ? {} : input.connections;
  if (
    !problems.check(
      isRecord(overrides),
      "gcp.rotation.connections",
      "must map conn_id to { rotationPeriod, nextRotationTime }",
    )
  ) {
    return {
      region,
      vpcConnectorEgress: egress,
      timeoutSeconds,
      passwordLength,
      sourceBucket,
      accountId,
      schedules: {},
    };
  }
  const rotatedIds = new Set(rotated.map((c) => c.conn_id));
  for (const connId of Object.keys(overrides)) {
    problems.check(
      rotatedIds.has(connId),
      `gcp.rotation.connections.${connId}`,
      `"${connId}" is not a declared connection with a rotation block`,
    );
  }
  const schedules: ResolvedGcpSettings["rotation"]["schedules"] = {};
  for (const conn of rotated) {
    const path = `gcp.rotation.connections.${conn.conn_id}`;
    const override = (
      isRecord(overrides[conn.conn_id]) ? overrides[conn.conn_id] : {}
    ) as GcpRotationSchedule;
    const everyDays = conn.rotation!.everyDays;
    const fallbackPeriod =
      Number.isInteger(everyDays) && everyDays > 0 ? `${everyDays * DAY}s` : `${30 * DAY}s`;
    const rotationPeriod =
      checkDuration(
        problems,
        `${path}.rotationPeriod`,
        override.rotationPeriod ?? fallbackPeriod,
        MIN_SECRET_ROTATION_SECONDS,
        100 * 365 * DAY,
        "must be at least 3600s (Secret Manager's minimum rotation period is one hour)",
      ) ?? fallbackPeriod;
    let nextRotationTime = defaultNextRotationTime(durationSeconds(rotationPeriod)!, s.now);
    if (override.nextRotationTime !== undefined) {
      const given = override.nextRotationTime;
      const parsed = typeof given === "string" && RFC3339.test(given) ? Date.parse(given) : NaN;
      if (
        problems.check(
          !Number.isNaN(parsed),
          `${path}.nextRotationTime`,
          `must be an RFC 3339 time like "2027-01-15T03:00:00Z" (got ${JSON.stringify(given)})`,
        )
      ) {
        problems.check(
          parsed >= s.now.getTime() + MIN_NEXT_ROTATION_LEAD_SECONDS * 1000,
          `${path}.nextRotationTime`,
          `is in the past or less than 5 minutes ahead (${given}, now ${s.now.toISOString()}); Secret Manager refuses it. Remove it once the secret exists: Secret Manager advances it and the stack ignores the drift`,
        );
        nextRotationTime = given;
      }
    }
    schedules[conn.conn_id] = { rotationPeriod, nextRotationTime, declaration: conn.rotation! };
  }
  return {
    region,
    vpcConnector: input.vpcConnector,
    vpcConnectorEgress: egress,
    timeoutSeconds,
    passwordLength,
    excludeCharacters: input.excludeCharacters,
    sourceBucket,
    accountId,
    buildServiceAccount: input.buildServiceAccount,
    schedules,
  };
}

/**
 * Validates `airflow-secrets:gcp` against the environment, adding every problem, and returns the
 * settings with defaults applied (undefined when a required part is missing).
 */
export function resolveGcpSettings(
  input: GcpSettingsInput,
  problems: Problems,
): ResolvedGcpSettings | undefined {
  const before = problems.list.length;
  const now = input.now ?? new Date();
  const raw = input.settings as unknown;
  if (
    !problems.check(
      isRecord(raw),
      "gcp",
      "settings are required (stack config airflow-secrets:gcp with at least project and locations)",
    )
  )
    return undefined;
  const s = raw as GcpBackendSettings;
  const known = new Set([
    "project",
    "projectNumber",
    "locations",
    "layout",
    "labels",
    "versionDestroyTtl",
    "kms",
    "workloadIdentityPool",
    "airflowAccountId",
    "ciWriter",
    "audit",
    "rotation",
  ]);
  for (const key of Object.keys(s))
    problems.check(
      known.has(key),
      `gcp.${key}`,
      `is not a GCP backend setting (known: ${[...known].join(", ")})`,
    );

  const project = s.project;
  problems.check(
    typeof project === "string" && PROJECT_ID.test(project),
    "gcp.project",
    `must be a project id: 6-30 lowercase letters, digits or -, starting with a letter (got ${JSON.stringify(project)})`,
  );
  if (s.projectNumber !== undefined) {
    problems.check(
      typeof s.projectNumber === "string" && /^\d{1,20}$/.test(s.projectNumber),
      "gcp.projectNumber",
      `must be the project number as a string of digits (got ${JSON.stringify(s.projectNumber)})`,
    );
  }
  const locations = Array.isArray(s.locations) ? s.locations : [];
  if (
    problems.check(
      Array.isArray(s.locations) && s.locations.length > 0,
      "gcp.locations",
      "must list at least one region for the secrets' user-managed replicas (each gets its own CMEK key)",
    )
  ) {
    locations.forEach((l, i) =>
      problems.check(
        typeof l === "string" && REGION.test(l),
        `gcp.locations[${i}]`,
        `must be a region like "europe-west1" (multi-regions and "global" have no regional KMS key for CMEK; got ${JSON.stringify(l)})`,
      ),
    );
    problems.check(
      new Set(locations).size === locations.length,
      "gcp.locations",
      "must not repeat a location",
    );
  }
  const layout = checkLayout(problems, s.layout);

  const labels = checkStringMap(problems, "gcp.labels", s.labels);
  for (const [k, v] of Object.entries(labels)) {
    problems.check(
      LABEL_KEY.test(k),
      `gcp.labels.${k}`,
      "label keys are 1-63 lowercase letters, digits, _ or -, starting with a letter",
    );
    problems.check(
      LABEL_VALUE.test(v),
      `gcp.labels.${k}`,
      `label values are at most 63 lowercase letters, digits, _ or - (got "${v}")`,
    );
    problems.check(
      !["env", "owner", "managed-by", "airflow-kind"].includes(k),
      `gcp.labels.${k}`,
      "is set by the backend itself",
    );
  }
  if (input.owner !== undefined) {
    problems.check(
      LABEL_VALUE.test(input.owner) && input.owner.length > 0,
      "owner",
      `becomes the "owner" label: at most 63 lowercase letters, digits, _ or - (got "${input.owner}")`,
    );
  }

  let versionDestroyTtl =
    s.versionDestroyTtl ?? (input.production ? PRODUCTION_VERSION_DESTROY_TTL : undefined);
  if (versionDestroyTtl !== undefined) {
    versionDestroyTtl = checkDuration(
      problems,
      "gcp.versionDestroyTtl",
      versionDestroyTtl,
      DAY,
      1000 * DAY,
      "must be from 1 day (86400s) to 1000 days (Secret Manager's delayed destruction range)",
    );
  }

  const kms = checkKms(problems, s.kms, locations, input.environment, input.production);
  const workloadIdentityPool = s.workloadIdentityPool ?? `${project}.svc.id.goog`;
  if (s.workloadIdentityPool !== undefined) {
    problems.check(
      /^[a-z0-9.-]+\.svc\.id\.goog$/.test(s.workloadIdentityPool),
      "gcp.workloadIdentityPool",
      `must be a GKE Workload Identity pool like "my-project.svc.id.goog" (got "${s.workloadIdentityPool}")`,
    );
  }
  const airflowAccountId = s.airflowAccountId ?? `airflow-${input.environment}`;
  problems.check(
    ACCOUNT_ID.test(airflowAccountId),
    "gcp.airflowAccountId",
    s.airflowAccountId === undefined
      ? derived(airflowAccountId, "gcp.airflowAccountId")
      : `must be 6-30 lowercase letters, digits or -, starting with a letter (got "${airflowAccountId}")`,
  );
  const ciWriter = checkCiWriter(problems, s.ciWriter, input.environment);
  const common = {
    project: project ?? "",
    environment: input.environment,
    production: input.production,
    locations,
  };
  const audit = checkAudit(problems, s.audit, common);
  const rotation = checkRotation(problems, s.rotation, {
    ...common,
    declarations: input.declarations ?? {},
    now,
  });

  if (problems.list.length > before) return undefined;
  return {
    project,
    projectNumber: s.projectNumber,
    locations,
    layout,
    labels,
    versionDestroyTtl,
    kms,
    workloadIdentityPool,
    airflowAccountId,
    ciWriter,
    audit,
    rotation,
  };
}
