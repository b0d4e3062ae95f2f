/**
 * The shape of `airflow-secrets:gcp` in a stack file, described once: types, enums, ranges,
 * patterns and what each default is. `settings.ts` parses with it (through the core kit) and then
 * applies the defaults that depend on the environment and the rules that span fields. Messages
 * never quote the value: a secret pasted into the wrong field is not printed back.
 */
import { z } from "zod";
import { existingReference } from "../core/existing";
import { ENVIRONMENT_LABEL, MANAGED_BY_LABEL, OWNER_LABEL } from "../core/labels";
import { booleanSetting, renamedKeys } from "../core/schema";

const DAY = 86_400;
export const MAX_KMS_ROTATION_SECONDS = 90 * DAY;
export const MIN_SECRET_ROTATION_SECONDS = 3_600;
/** Most labels a GCP resource takes; the backend adds the standard labels and `airflow-kind`. */
export const MAX_LABELS = 64;
export const BACKEND_LABELS = [ENVIRONMENT_LABEL, OWNER_LABEL, MANAGED_BY_LABEL, "airflow-kind"] as const;

export const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
export const REGION = /^[a-z]+-[a-z]+[0-9]+$/;
export const ACCOUNT_ID = /^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/;
export const BUCKET_NAME = /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;
export const DATASET_ID = /^[A-Za-z0-9_]{1,1024}$/;
export const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
export const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const KMS_NAME = /^[a-zA-Z0-9_-]{1,63}$/;
const GCP_PREFIX_CHARS = /^[A-Za-z0-9_-]*$/;
const DURATION = /^(\d+)(?:\.\d{1,9})?s$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** Seconds of a GCP duration string (`"3600s"`), or undefined when it is not one. */
export function durationSeconds(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = DURATION.exec(value);
  return match ? Number(match[1]) : undefined;
}

/**
 * A specific Workload Identity Federation identity: one subject, or the identities carrying one
 * attribute value (e.g. `attribute.repository/acme/airflow-dags`). A whole pool (`…/*`), a group or
 * a workforce (human) pool is never specific enough to write production secrets.
 */
const WORKLOAD_PRINCIPAL =
  /^principal:\/\/iam\.googleapis\.com\/projects\/\d{1,20}\/locations\/global\/workloadIdentityPools\/[a-z0-9][a-z0-9-]{0,31}\/subject\/[^*\s]+$/;
const WORKLOAD_PRINCIPAL_SET =
  /^principalSet:\/\/iam\.googleapis\.com\/projects\/\d{1,20}\/locations\/global\/workloadIdentityPools\/[a-z0-9][a-z0-9-]{0,31}\/attribute\.[A-Za-z_][A-Za-z0-9_]{0,99}\/[^*\s]+$/;
export function isSpecificWorkloadPrincipal(value: string): boolean {
  return WORKLOAD_PRINCIPAL.test(value) || WORKLOAD_PRINCIPAL_SET.test(value);
}

/** A pattern check that stops there, so a refinement after it does not report the same value twice. */
const pattern = (regex: RegExp, message: string) => z.string().regex(regex, { message, abort: true });

/** `"<seconds>s"` within [min, max] seconds. */
function duration(min: number, max: number, range: string) {
  return pattern(DURATION, 'must be a duration in seconds like "3600s"').refine((value) => {
    const seconds = durationSeconds(value)!;
    return seconds >= min && seconds <= max;
  }, range);
}

export const KMS_ROTATION_RANGE = `must be more than 1 day (KMS minimum) and at most 90 days = ${MAX_KMS_ROTATION_SECONDS}s (the production checklist's rotation cadence)`;
export const kmsRotationPeriod = () => duration(DAY + 1, MAX_KMS_ROTATION_SECONDS, KMS_ROTATION_RANGE);

const prefix = pattern(
  GCP_PREFIX_CHARS,
  "may contain only letters, digits, _ and - because Secret Manager ids allow nothing else and CloudSecretManagerBackend substitutes nothing",
).min(1);

const accountId = (what: string) =>
  pattern(ACCOUNT_ID, "must be 6-30 lowercase letters, digits or -, starting with a letter").describe(what);

const fullName = (regex: RegExp, example: string) =>
  pattern(regex, `must be a full resource name ${example}`);

export const layoutSchema = z
  .strictObject({
    connectionsPrefix: prefix
      .optional()
      .describe("Connection secrets' prefix. Default `airflow-{env}-connections`."),
    variablesPrefix: prefix
      .optional()
      .describe("Variable secrets' prefix. Default `airflow-{env}-variables`."),
    configPrefix: prefix.optional().describe("Config secrets' prefix. Default `airflow-{env}-config`."),
    sep: pattern(GCP_PREFIX_CHARS, "may contain only letters, digits, _ and -")
      .optional()
      .describe("Separator between prefix and id. Default `-`."),
  })
  .nullish()
  .describe(
    "Overrides of the contract's GCP layout. Each prefix holds the environment as a whole word between - or _ (IAM grants are conditions on the prefix) and is never empty.",
  );

const EXISTING_KMS =
  "Bring your own crypto keys or key rings, by location; the other locations get a created key ring and key.";

export const kmsSchema = z
  .strictObject({
    rotationPeriod: kmsRotationPeriod()
      .optional()
      .describe(
        'Rotation period of the keys this backend creates, more than 1 day and at most 90 days. Default `"7776000s"` (90 days).',
      ),
    keyRingName: pattern(KMS_NAME, "must be 1-63 letters, digits, _ or -")
      .optional()
      .describe(
        "Key ring created per location. Default `airflow-{env}-secrets`. Key rings can never be deleted in GCP.",
      ),
    keyName: pattern(KMS_NAME, "must be 1-63 letters, digits, _ or -")
      .optional()
      .describe("Crypto key created per location. Default `secret-manager`."),
    existing: existingReference(
      {
        keys: z
          .record(
            z.string(),
            fullName(
              /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/,
              "projects/P/locations/L/keyRings/R/cryptoKeys/K",
            ),
          )
          .nullish()
          .describe(
            "Existing crypto keys by location (one of `locations`); nothing is created there. Not with `keyRings` for the same location.",
          ),
        keyRings: z
          .record(
            z.string(),
            fullName(
              /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+$/,
              "projects/P/locations/L/keyRings/R",
            ),
          )
          .nullish()
          .describe("Existing key rings by location; the crypto key is created inside."),
      },
      EXISTING_KMS,
    )
      // A YAML block whose children are all commented out is null: the same as not writing it.
      .nullable()
      .describe(EXISTING_KMS),
  })
  .nullish()
  .describe("CMEK keys of the secrets' replicas (one per location), created or brought.");
// Stack files from before the one bring-your-own vocabulary.
renamedKeys.add(kmsSchema, { existingKeys: "existing.keys", existingKeyRings: "existing.keyRings" });

export const ciWriterSchema = z
  .strictObject({
    enabled: booleanSetting().optional().describe("Create the CI writer service account. Default true."),
    accountId: accountId("Service account id of the writer. Default `airflow-{env}-writer`.").optional(),
    manageVersions: booleanSetting()
      .optional()
      .describe(
        "Also grant `roles/secretmanager.secretVersionManager` (disable/destroy old versions; still no payload access). Default false.",
      ),
    workloadIdentityPrincipals: z
      .array(
        z
          .string()
          .refine(
            isSpecificWorkloadPrincipal,
            "must name specific Workload Identity Federation identities: principal://iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/subject/SUBJECT or principalSet://…/workloadIdentityPools/POOL/attribute.NAME/VALUE; a whole pool (/*), a group or a workforce pool would let identities nobody reviewed write the secrets",
          ),
      )
      .nullish()
      .describe(
        "Workload Identity Federation identities (e.g. one GitHub repository) allowed to act as the writer. Default none.",
      ),
  })
  .nullish()
  .describe("The CI identity that writes new secret versions but can never read one.");

export const auditSchema = z
  .strictObject({
    enabled: booleanSetting()
      .optional()
      .describe(
        "Data Access audit logs, the access-log sink and the failed-lookup alert. Default true; production refuses false.",
      ),
    sink: z
      .strictObject({
        type: z
          .enum(["bucket", "bigquery"])
          .optional()
          .describe("`bucket` (retention-locked Cloud Storage) or `bigquery`. Default `bucket`."),
        location: pattern(/^[a-z]+(?:-[a-z]+[0-9]+)?$/, 'must be a location like "europe-west1" or "eu"')
          .optional()
          .describe("Bucket or dataset location. Default the first of `locations`."),
        retentionDays: z
          .number()
          .int()
          .min(1)
          .max(3650)
          .optional()
          .describe("Days entries are kept. Default 365 in production, 30 otherwise."),
        name: z
          .string()
          .optional()
          .describe(
            "Bucket name or dataset id. Defaults `{project}-af-{env}-sm-audit` / `airflow_{env}_secret_audit`.",
          ),
      })
      .nullish()
      .describe("Where Secret Manager audit entries are kept."),
    notificationChannels: z
      .array(
        pattern(
          /^projects\/[^/]+\/notificationChannels\/[^/]+$/,
          "must be projects/PROJECT/notificationChannels/ID",
        ),
      )
      .nullish()
      .describe("Monitoring notification channels of the alert. Production needs at least one."),
    notFoundThreshold: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("Failed lookups by Airflow's account tolerated per window before alerting. Default 20."),
    windowSeconds: z
      .number()
      .int()
      .min(60)
      .max(86_400)
      .optional()
      .describe("Alert window in seconds. Default 300."),
  })
  .nullish()
  .describe("Audit logging and the failed-lookup alert.");

export const rotationScheduleSchema = z
  .strictObject({
    rotationPeriod: duration(
      MIN_SECRET_ROTATION_SECONDS,
      100 * 365 * DAY,
      "must be at least 3600s (Secret Manager's minimum rotation period is one hour)",
    )
      .optional()
      .describe("Secret Manager rotation period. Default the declaration's `rotation.everyDays`."),
    nextRotationTime: pattern(RFC3339, 'must be an RFC 3339 time like "2027-01-15T03:00:00Z"')
      .refine(
        (value) => !Number.isNaN(Date.parse(value)),
        'must be an RFC 3339 time like "2027-01-15T03:00:00Z"',
      )
      .optional()
      .describe(
        "First rotation, at least 5 minutes ahead. Default the next slot of the period after 2024-01-01T03:00Z.",
      ),
  })
  .nullish();

export const rotationSchema = z
  .strictObject({
    region: pattern(REGION, 'must be a Cloud Functions region like "europe-west1"')
      .optional()
      .describe("Region of the rotation function. Default the first of `locations`."),
    vpcConnector: fullName(
      /^projects\/[^/]+\/locations\/[^/]+\/connectors\/[^/]+$/,
      "projects/P/locations/R/connectors/C",
    )
      .optional()
      .describe(
        "Serverless VPC Access connector for private database addresses; must be in the function's region.",
      ),
    vpcConnectorEgress: z
      .enum(["PRIVATE_RANGES_ONLY", "ALL_TRAFFIC"])
      .optional()
      .describe("Traffic through the connector. Default `PRIVATE_RANGES_ONLY`."),
    timeoutSeconds: z.number().int().min(60).max(540).optional().describe("Function timeout. Default 120."),
    passwordLength: z
      .number()
      .int()
      .min(16)
      .max(99)
      .optional()
      .describe("Generated password length (PostgreSQL and MySQL accept up to 99). Default 32."),
    excludeCharacters: z
      .string()
      .optional()
      .describe("Characters never used in generated passwords. Default the rotation core's."),
    sourceBucket: pattern(BUCKET_NAME, "must be a bucket name: 3-63 lowercase letters, digits, _ or -")
      .optional()
      .describe("Bucket holding the function source. Default `{project}-af-{env}-rotator`."),
    accountId: accountId(
      "Service account id of the rotation function. Default `airflow-{env}-rotator`.",
    ).optional(),
    buildServiceAccount: pattern(
      /^projects\/[^/]+\/serviceAccounts\/[^/@]+@[^/]+$/,
      "must be projects/PROJECT/serviceAccounts/EMAIL",
    )
      .optional()
      .describe(
        "Service account Cloud Build uses to build the function (needed where the default compute account has no build rights).",
      ),
    connections: z
      .record(z.string(), rotationScheduleSchema)
      .nullish()
      .describe("Schedule overrides by conn_id (rotated connections only)."),
  })
  .nullish()
  .describe("The rotation function (only used when a connection declares rotation).");

/** `airflow-secrets:gcp`. */
export const settingsSchema = z
  .strictObject({
    project: pattern(
      PROJECT_ID,
      "must be a project id: 6-30 lowercase letters, digits or -, starting with a letter",
    ).describe("Project id holding the secrets. Required."),
    projectNumber: pattern(/^\d{1,20}$/, "must be the project number as a string of digits")
      .optional()
      .describe("Project number; looked up from the project when absent."),
    locations: z
      .array(
        pattern(
          REGION,
          'must be a region like "europe-west1" (multi-regions and "global" have no regional KMS key for CMEK)',
        ),
      )
      .min(1)
      .describe("Replica regions of every secret, each with its own CMEK key. Required, no repeats."),
    layout: layoutSchema,
    labels: z
      .record(
        z.string(),
        pattern(LABEL_VALUE, "label values are at most 63 lowercase letters, digits, _ or -"),
      )
      .nullish()
      .describe(
        `Extra labels on every secret (keys 1-63 lowercase, not ${BACKEND_LABELS.join("/")}; at most ${MAX_LABELS - BACKEND_LABELS.length}).`,
      ),
    versionDestroyTtl: duration(
      DAY,
      1000 * DAY,
      "must be from 1 day (86400s) to 1000 days (Secret Manager's delayed destruction range)",
    )
      .optional()
      .describe(
        'Delayed destruction of secret versions. Default `"604800s"` (7 days) in production, none otherwise.',
      ),
    kms: kmsSchema,
    workloadIdentityPool: pattern(
      /^[a-z0-9.-]+\.svc\.id\.goog$/,
      'must be a GKE Workload Identity pool like "my-project.svc.id.goog"',
    )
      .optional()
      .describe("Workload Identity pool of the GKE cluster. Default `{project}.svc.id.goog`."),
    airflowAccountId: accountId("Service account id of Airflow. Default `airflow-{env}`.").optional(),
    offKubernetes: z
      .strictObject({
        airflowServiceAccounts: z
          .array(z.string())
          .describe(
            "Emails of the service accounts Airflow runs as (Cloud Composer's environment service account): each may impersonate Airflow's reader service account and nothing else; `backend_kwargs` carry `impersonation_chain`. Required.",
          ),
      })
      .nullish()
      .describe(
        "With `kubernetes: false` (required then, refused on Kubernetes): who acts as the reader, instead of Airflow's service accounts through Workload Identity.",
      ),
    ciWriter: ciWriterSchema,
    audit: auditSchema,
    rotation: rotationSchema,
  })
  .describe("GCP Secret Manager backend settings (`airflow-secrets:gcp`).");

/** What a stack file or a TypeScript caller may write. */
export type GcpSettingsSchemaInput = z.input<typeof settingsSchema>;
/** What the schema hands to `resolve` (booleans read, blocks possibly absent). */
export type GcpParsedSettings = z.output<typeof settingsSchema>;
