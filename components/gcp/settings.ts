/**
 * The GCP backend's settings (stack config `airflow-secrets:gcp`). The shape is described once, in
 * `schema.ts`; `resolveGcpSettings` parses with it, then applies the defaults that depend on the
 * environment (names, production retention) and the rules that span fields (existing keys in listed
 * locations, a connector in the function's region, rotation overrides of declared connections).
 * Everything runs before any resource exists; every problem names `gcp.<field>`.
 */
import { RotationDeclaration, SecretsDeclarations, SecretsLayout, Problems } from "../airflow";
import { refuseWithExisting } from "../core/existing";
import { parseSettings } from "../core/schema";
import {
  ACCOUNT_ID,
  BACKEND_LABELS,
  BUCKET_NAME,
  DATASET_ID,
  GcpParsedSettings,
  GcpSettingsSchemaInput,
  LABEL_KEY,
  LABEL_VALUE,
  MAX_KMS_ROTATION_SECONDS,
  MAX_LABELS,
  MIN_SECRET_ROTATION_SECONDS,
  durationSeconds,
  kmsRotationPeriod,
  settingsSchema,
} from "./schema";

export { MAX_KMS_ROTATION_SECONDS, MIN_SECRET_ROTATION_SECONDS, durationSeconds, settingsSchema };

/** `airflow-secrets:gcp` as a stack file or a TypeScript caller writes it (inferred from the schema). */
export type GcpBackendSettings = GcpSettingsSchemaInput;
export type GcpAuditSinkType = "bucket" | "bigquery";

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
    /** Brought keys and key rings by location (none created there). */
    existing: { keys: Record<string, string>; keyRings: Record<string, string> };
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
  /**
   * The settings as the schema parsed them; when the shape was wrong somewhere, what was left of them
   * (top-level fields may be missing), so the rules below still report everything in one run.
   */
  settings: Partial<GcpParsedSettings>;
  /** Clock for "in the future" checks and default rotation slots, read once per environment. */
  now: Date;
}

const DAY = 86_400;
/** Secret Manager refuses a next rotation time less than 5 minutes ahead. */
export const MIN_NEXT_ROTATION_LEAD_SECONDS = 300;
export const DEFAULT_KMS_ROTATION_PERIOD = `${MAX_KMS_ROTATION_SECONDS}s`;
export const PRODUCTION_VERSION_DESTROY_TTL = `${7 * DAY}s`;
/**
 * Default rotation slots are `ROTATION_ANCHOR + k × period`: deterministic (synth output stays byte-stable
 * within a period) and at 03:00 UTC, when batch traffic is usually lowest.
 */
export const ROTATION_ANCHOR = Date.UTC(2024, 0, 1, 3, 0, 0);

/** The KMS rotation period rule, for the `SecretManagerKeys` component used on its own. */
export function checkKmsRotationPeriod(problems: Problems, path: string, value: unknown): string | undefined {
  return parseSettings(kmsRotationPeriod(), value, path, problems);
}

/** The next default rotation slot at least an hour after `now`. */
export function defaultNextRotationTime(periodSeconds: number, now: Date): string {
  const earliest = now.getTime() + 3_600_000;
  const periodMs = periodSeconds * 1000;
  const slots = Math.ceil((earliest - ROTATION_ANCHOR) / periodMs);
  return new Date(ROTATION_ANCHOR + Math.max(slots, 0) * periodMs).toISOString().replace(/\.000Z$/, "Z");
}

/** A name derived from the environment can be invalid where the environment is long: say which setting fixes it. */
function checkDerived(
  problems: Problems,
  valid: boolean,
  given: string | undefined,
  path: string,
  rule: string,
): void {
  // A given value was already checked by the schema; only a derived default can still be wrong here.
  if (given === undefined)
    problems.check(
      valid,
      path,
      `the default derived from the environment is not valid here; set it (${rule})`,
    );
}

type Parsed = GcpParsedSettings;

function resolveKms(
  problems: Problems,
  kms: NonNullable<Parsed["kms"]> | undefined | null,
  locations: string[] | undefined,
  environment: string,
  production: boolean,
): ResolvedGcpSettings["kms"] {
  const input = kms ?? {};
  const keyRingName = input.keyRingName ?? `airflow-${environment}-secrets`;
  checkDerived(
    problems,
    /^[a-zA-Z0-9_-]{1,63}$/.test(keyRingName),
    input.keyRingName,
    "gcp.kms.keyRingName",
    "1-63 letters, digits, _ or -",
  );
  const keys = input.existing?.keys ?? {};
  const keyRings = input.existing?.keyRings ?? {};
  for (const [label, map] of [
    ["keys", keys],
    ["keyRings", keyRings],
  ] as const) {
    for (const [location, id] of Object.entries(map)) {
      const path = `gcp.kms.existing.${label}.${location}`;
      if (locations && !problems.check(locations.includes(location), path, "is not one of gcp.locations"))
        continue;
      const keyLocation = /^projects\/[^/]+\/locations\/([^/]+)\//.exec(id)![1];
      problems.check(
        keyLocation === location,
        path,
        `is in location "${keyLocation}"; a replica in "${location}" can only use a key in "${location}"`,
      );
    }
  }
  for (const location of Object.keys(keys)) {
    problems.check(
      !(location in keyRings),
      `gcp.kms.existing.keyRings.${location}`,
      "names a location that already has an existing key; give one or the other",
    );
  }
  // With a key brought for every location nothing is created, so the creation settings would do nothing.
  if (locations && locations.length > 0 && locations.every((location) => location in keys))
    refuseWithExisting(input, ["rotationPeriod", "keyRingName", "keyName"], "gcp.kms", problems);
  return {
    rotationPeriod: input.rotationPeriod ?? DEFAULT_KMS_ROTATION_PERIOD,
    keyRingName,
    keyName: input.keyName ?? "secret-manager",
    existing: { keys, keyRings },
    protect: production,
  };
}

function resolveCiWriter(
  problems: Problems,
  value: Parsed["ciWriter"],
  environment: string,
): ResolvedGcpSettings["ciWriter"] {
  const input = value ?? {};
  const enabled = input.enabled ?? true;
  const accountId = input.accountId ?? `airflow-${environment}-writer`;
  if (enabled)
    checkDerived(
      problems,
      ACCOUNT_ID.test(accountId),
      input.accountId,
      "gcp.ciWriter.accountId",
      "6-30 lowercase letters, digits or -",
    );
  const principals = input.workloadIdentityPrincipals ?? [];
  if (!enabled)
    problems.check(
      principals.length === 0,
      "gcp.ciWriter.workloadIdentityPrincipals",
      "needs the writer: ciWriter.enabled is false, so no one would be allowed to act as it",
    );
  return {
    enabled,
    accountId,
    manageVersions: input.manageVersions ?? false,
    workloadIdentityPrincipals: principals,
  };
}

function resolveAudit(
  problems: Problems,
  value: Parsed["audit"],
  s: {
    project: string;
    environment: string;
    production: boolean;
    locations: string[];
    projectKnown: boolean;
  },
): ResolvedGcpSettings["audit"] {
  const input = value ?? {};
  const enabled = input.enabled ?? true;
  if (s.production) {
    problems.check(
      enabled,
      "gcp.audit.enabled",
      "production keeps audit logging on (the checklist requires backend audit logs and alerting on failed lookups)",
    );
  }
  const sink = input.sink ?? {};
  const sinkType = sink.type ?? "bucket";
  const retentionDays = sink.retentionDays ?? (s.production ? 365 : 30);
  const bucketName = sinkType === "bucket" ? (sink.name ?? `${s.project}-af-${s.environment}-sm-audit`) : "";
  const datasetId =
    sinkType === "bigquery" ? (sink.name ?? `airflow_${s.environment.replace(/-/g, "_")}_secret_audit`) : "";
  if (enabled && sinkType === "bucket") {
    const rule = "a bucket name: 3-63 lowercase letters, digits, _ or -, not starting with goog";
    const valid = BUCKET_NAME.test(bucketName) && !bucketName.startsWith("goog");
    if (sink.name === undefined) {
      if (s.projectKnown) checkDerived(problems, valid, undefined, "gcp.audit.sink.name", rule);
    } else problems.check(valid, "gcp.audit.sink.name", `must be ${rule}`);
  }
  if (enabled && sinkType === "bigquery") {
    problems.check(
      DATASET_ID.test(datasetId),
      "gcp.audit.sink.name",
      "must be a BigQuery dataset id: letters, digits and _",
    );
  }
  const channels = input.notificationChannels ?? [];
  if (s.production && enabled) {
    problems.check(
      channels.length > 0,
      "gcp.audit.notificationChannels",
      "production alerts must notify someone: list at least one channel",
    );
  }
  return {
    enabled,
    sinkType,
    sinkLocation: sink.location ?? s.locations[0] ?? "",
    retentionDays,
    bucketName,
    datasetId,
    notificationChannels: channels,
    notFoundThreshold: input.notFoundThreshold ?? 20,
    windowSeconds: input.windowSeconds ?? 300,
  };
}

function resolveRotation(
  problems: Problems,
  value: Parsed["rotation"],
  s: {
    project: string;
    projectKnown: boolean;
    environment: string;
    locations: string[];
    declarations: SecretsDeclarations;
    now: Date;
  },
): ResolvedGcpSettings["rotation"] {
  const input = value ?? {};
  const rotated = (s.declarations.connections ?? []).filter((c) => c?.rotation !== undefined);
  const region = input.region ?? s.locations[0] ?? "";
  if (input.vpcConnector !== undefined && region !== "") {
    // Serverless VPC Access serves only functions in the connector's own region.
    const connectorRegion = /^projects\/[^/]+\/locations\/([^/]+)\//.exec(input.vpcConnector)![1];
    problems.check(
      connectorRegion === region,
      "gcp.rotation.vpcConnector",
      `is in "${connectorRegion}" but the rotation function runs in "${region}" (gcp.rotation.region, default the first of gcp.locations); a function can only use a connector in its own region`,
    );
  }
  const sourceBucket = input.sourceBucket ?? `${s.project}-af-${s.environment}-rotator`;
  const accountId = input.accountId ?? `airflow-${s.environment}-rotator`;
  if (rotated.length > 0 && s.projectKnown) {
    checkDerived(
      problems,
      BUCKET_NAME.test(sourceBucket) && !sourceBucket.startsWith("goog"),
      input.sourceBucket,
      "gcp.rotation.sourceBucket",
      "3-63 lowercase letters, digits, _ or -",
    );
    checkDerived(
      problems,
      ACCOUNT_ID.test(accountId),
      input.accountId,
      "gcp.rotation.accountId",
      "6-30 lowercase letters, digits or -",
    );
  }
  const overrides = input.connections ?? {};
  const rotatedIds = new Set(rotated.map((c) => c.conn_id));
  for (const connId of Object.keys(overrides)) {
    problems.check(
      rotatedIds.has(connId),
      `gcp.rotation.connections.${connId}`,
      "is not a declared connection with a rotation block",
    );
  }
  const schedules: ResolvedGcpSettings["rotation"]["schedules"] = {};
  for (const conn of rotated) {
    const path = `gcp.rotation.connections.${conn.conn_id}`;
    const override = overrides[conn.conn_id] ?? {};
    const everyDays = conn.rotation!.everyDays;
    const fallbackPeriod =
      Number.isInteger(everyDays) && everyDays > 0
        ? `${Math.max(everyDays * DAY, MIN_SECRET_ROTATION_SECONDS)}s`
        : `${30 * DAY}s`;
    const rotationPeriod = override.rotationPeriod ?? fallbackPeriod;
    let nextRotationTime = defaultNextRotationTime(durationSeconds(rotationPeriod)!, s.now);
    if (override.nextRotationTime !== undefined) {
      const given = override.nextRotationTime;
      problems.check(
        Date.parse(given) >= s.now.getTime() + MIN_NEXT_ROTATION_LEAD_SECONDS * 1000,
        `${path}.nextRotationTime`,
        `is in the past or less than 5 minutes ahead (${given}, now ${s.now.toISOString()}); Secret Manager refuses it. Remove it once the secret exists: Secret Manager advances it and the stack ignores the drift`,
      );
      nextRotationTime = given;
    }
    schedules[conn.conn_id] = { rotationPeriod, nextRotationTime, declaration: conn.rotation! };
  }
  return {
    region,
    vpcConnector: input.vpcConnector,
    vpcConnectorEgress: input.vpcConnectorEgress ?? "PRIVATE_RANGES_ONLY",
    timeoutSeconds: input.timeoutSeconds ?? 120,
    passwordLength: input.passwordLength ?? 32,
    excludeCharacters: input.excludeCharacters,
    sourceBucket,
    accountId,
    buildServiceAccount: input.buildServiceAccount,
    schedules,
  };
}

/**
 * Airflow's and the CI writer's IAM bindings are conditions on the secret name's prefix, so a prefix
 * must hold the environment as a whole `-`/`_`-delimited word: `airflow` or `airflow-pro` in a dev stack
 * would let dev's identities read or write prod's secrets in a shared project.
 */
function checkLayoutConfined(problems: Problems, layout: Partial<SecretsLayout>, environment: string): void {
  const escaped = environment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const word = new RegExp(`(^|[-_])${escaped}([-_]|$)`);
  for (const key of ["connectionsPrefix", "variablesPrefix", "configPrefix"] as const) {
    const prefix = layout[key];
    if (prefix === undefined) continue;
    problems.check(
      word.test(prefix),
      `gcp.layout.${key}`,
      `must contain the environment "${environment}" as a whole word between - or _ (e.g. "airflow-${environment}-${key.replace("Prefix", "")}"): IAM grants are conditions on this prefix, and a prefix without it reaches other environments' secrets`,
    );
  }
}

function resolveLabels(problems: Problems, labels: Record<string, string>, owner: string | undefined): void {
  for (const key of Object.keys(labels)) {
    const path = `gcp.labels.${key}`;
    problems.check(
      LABEL_KEY.test(key),
      path,
      "label keys are 1-63 lowercase letters, digits, _ or -, starting with a letter",
    );
    problems.check(
      !(BACKEND_LABELS as readonly string[]).includes(key),
      path,
      "is set by the backend itself",
    );
  }
  problems.check(
    Object.keys(labels).length + BACKEND_LABELS.length <= MAX_LABELS,
    "gcp.labels",
    `must have at most ${MAX_LABELS - BACKEND_LABELS.length} entries (GCP takes ${MAX_LABELS} labels per resource and the backend adds ${BACKEND_LABELS.length})`,
  );
  if (owner !== undefined) {
    problems.check(
      LABEL_VALUE.test(owner) && owner.length > 0,
      "owner",
      'becomes the "owner" label: 1-63 lowercase letters, digits, _ or -',
    );
  }
}

/**
 * The settings' defaults that depend on the environment and the rules that span fields, over settings
 * the schema already parsed (`prepareBackend` reports shape problems and drops the rules' problems
 * under a field it refused). Adds every problem; returns the resolved settings only when there was none.
 */
export function resolveGcpSettings(
  input: GcpSettingsInput,
  problems: Problems,
): ResolvedGcpSettings | undefined {
  const before = problems.list.length;
  const s = input.settings;
  const now = input.now;
  const project = s.project ?? "";
  const locations = s.locations ?? [];
  locations.forEach((location, i) =>
    problems.check(locations.indexOf(location) === i, `gcp.locations[${i}]`, "repeats an earlier location"),
  );
  const layout = (s.layout ?? {}) as Partial<SecretsLayout>;
  checkLayoutConfined(problems, layout, input.environment);
  const labels = s.labels ?? {};
  resolveLabels(problems, labels, input.owner);
  const versionDestroyTtl =
    s.versionDestroyTtl ?? (input.production ? PRODUCTION_VERSION_DESTROY_TTL : undefined);
  // Names derived from the project or checked against the locations are judged only once those parsed.
  const known = { project: s.project !== undefined, locations: s.locations !== undefined };
  const kms = resolveKms(
    problems,
    s.kms,
    known.locations ? locations : undefined,
    input.environment,
    input.production,
  );
  const airflowAccountId = s.airflowAccountId ?? `airflow-${input.environment}`;
  checkDerived(
    problems,
    ACCOUNT_ID.test(airflowAccountId),
    s.airflowAccountId,
    "gcp.airflowAccountId",
    "6-30 lowercase letters, digits or -",
  );
  const common = {
    project,
    environment: input.environment,
    production: input.production,
    locations,
    projectKnown: known.project,
  };
  const ciWriter = resolveCiWriter(problems, s.ciWriter, input.environment);
  const audit = resolveAudit(problems, s.audit, common);
  const rotation = resolveRotation(problems, s.rotation, {
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
    workloadIdentityPool: s.workloadIdentityPool ?? `${project}.svc.id.goog`,
    airflowAccountId,
    ciWriter,
    audit,
    rotation,
  };
}
