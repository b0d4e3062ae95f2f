import { ENVIRONMENT_CONFIG_SCHEMA } from "./lib/environment";
import { AirflowStackPolicy, perResource, readConfig } from "./lib/policy";
import {
  DAY,
  UNKNOWN,
  asArray,
  days,
  googleDurationSeconds,
  isRecord,
  isoDurationSeconds,
  known,
} from "./lib/values";

const configSchema = {
  properties: {
    ...ENVIRONMENT_CONFIG_SCHEMA,
    minDeletionWindowDays: {
      type: "integer" as const,
      minimum: 1,
      default: 7,
      description: "Shortest pending-deletion window for KMS keys in every stack.",
    },
    productionMinDeletionWindowDays: {
      type: "integer" as const,
      minimum: 1,
      default: 30,
      description: "Shortest pending-deletion window for KMS keys in production stacks.",
    },
    awsMaxRotationDays: {
      type: "integer" as const,
      minimum: 90,
      default: 365,
      description: "Longest AWS KMS rotationPeriodInDays (AWS rotates yearly by default).",
    },
    gcpMaxRotationDays: {
      type: "integer" as const,
      minimum: 1,
      default: 90,
      description: "Longest Cloud KMS rotationPeriod.",
    },
    azureMaxRotationDays: {
      type: "integer" as const,
      minimum: 1,
      default: 90,
      description:
        "Longest Key Vault key rotation (rotationPolicy lifetime action `rotate`, timeAfterCreate).",
    },
  },
};

interface KmsConfig {
  minDeletionWindowDays: number;
  productionMinDeletionWindowDays: number;
  awsMaxRotationDays: number;
  gcpMaxRotationDays: number;
  azureMaxRotationDays: number;
}

/** Provider defaults when the window is not set: AWS 30 days, Cloud KMS 30 days. */
const DEFAULT_WINDOW_DAYS = 30;

/**
 * The keys that encrypt Airflow's secrets and Fernet key rotate, and a deleted key waits long
 * enough to be cancelled: a destroyed key makes every secret it encrypted unreadable.
 */
export const kmsKeyRotationAndDeletionWindow: AirflowStackPolicy = {
  name: "kms-key-rotation-and-deletion-window",
  description:
    "KMS keys rotate automatically and keep a deletion window (at least 7 days, 30 in production) so a mistaken delete can be cancelled.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "AWS: enableKeyRotation: true and deletionWindowInDays: 30 (or leave it unset: AWS defaults to 30). GCP: rotationPeriod " +
    '"7776000s" (90 days) and leave destroyScheduledDuration at its 30-day default or longer. Azure Key Vault keys: a rotationPolicy ' +
    'with a lifetime action of type "rotate" and trigger.timeAfterCreate "P90D" or shorter (or timeBeforeExpiry with an ' +
    "attributes.expiryTime that leaves at most 90 days between rotations).",
  configSchema,
  resourceTypes: [
    "aws:kms/key:Key",
    "aws:kms/replicaKey:ReplicaKey",
    "gcp:kms/cryptoKey:CryptoKey",
    "azure-native:keyvault:Key",
  ],
  configExample: { productionMinDeletionWindowDays: 30, gcpMaxRotationDays: 90, productionStacks: ["live"] },
  validateStack: perResource((args, reportViolation, stack) => {
    const config = readConfig<KmsConfig>(stack, configSchema);
    const production = args.context.production;
    const minWindowDays = production ? config.productionMinDeletionWindowDays : config.minDeletionWindowDays;
    const props = args.props;
    switch (args.type) {
      case "aws:kms/key:Key": {
        const spec = known(() => props.customerMasterKeySpec ?? props.keySpec);
        const symmetric = spec === undefined || spec === UNKNOWN || spec === "SYMMETRIC_DEFAULT";
        if (symmetric && known(() => props.enableKeyRotation) !== true) {
          reportViolation(`KMS key "${args.name}" has enableKeyRotation off: set enableKeyRotation: true.`);
        }
        const period = known(() => props.rotationPeriodInDays);
        if (typeof period === "number" && period > config.awsMaxRotationDays) {
          reportViolation(
            `KMS key "${args.name}" rotates every ${period} days; the limit is ${config.awsMaxRotationDays}.`,
          );
        }
        const window = known(() => props.deletionWindowInDays);
        const windowDays =
          typeof window === "number" ? window : window === UNKNOWN ? undefined : DEFAULT_WINDOW_DAYS;
        if (windowDays !== undefined && windowDays < minWindowDays) {
          reportViolation(
            `KMS key "${args.name}" has a ${windowDays}-day deletion window; ${production ? "production needs" : "the minimum is"} ${minWindowDays} days.`,
          );
        }
        return;
      }
      case "aws:kms/replicaKey:ReplicaKey": {
        // Rotation follows the primary key; the deletion window is the replica's own.
        const window = known(() => props.deletionWindowInDays);
        const windowDays =
          typeof window === "number" ? window : window === UNKNOWN ? undefined : DEFAULT_WINDOW_DAYS;
        if (windowDays !== undefined && windowDays < minWindowDays) {
          reportViolation(
            `KMS replica key "${args.name}" has a ${windowDays}-day deletion window; ${production ? "production needs" : "the minimum is"} ${minWindowDays} days.`,
          );
        }
        return;
      }
      case "gcp:kms/cryptoKey:CryptoKey": {
        const purpose = known(() => props.purpose);
        if (purpose === undefined || purpose === "ENCRYPT_DECRYPT") {
          const rotation = known(() => props.rotationPeriod);
          const seconds = googleDurationSeconds(rotation);
          if (rotation !== UNKNOWN && seconds === undefined) {
            reportViolation(
              `Crypto key "${args.name}" has no rotationPeriod: set it to at most ${config.gcpMaxRotationDays * DAY}s.`,
            );
          } else if (seconds !== undefined && seconds > config.gcpMaxRotationDays * DAY) {
            reportViolation(
              `Crypto key "${args.name}" rotates every ${days(seconds)}; the limit is ${config.gcpMaxRotationDays} days.`,
            );
          }
        }
        const destroy = known(() => props.destroyScheduledDuration);
        const destroySeconds =
          destroy === undefined ? DEFAULT_WINDOW_DAYS * DAY : googleDurationSeconds(destroy);
        if (destroySeconds !== undefined && destroySeconds < minWindowDays * DAY) {
          reportViolation(
            `Crypto key "${args.name}" is destroyed ${days(destroySeconds)} after being scheduled; ${production ? "production needs" : "the minimum is"} ${minWindowDays} days.`,
          );
        }
        return;
      }
      case "azure-native:keyvault:Key": {
        const properties = known(() => props.properties);
        if (properties === UNKNOWN) return;
        const policy = isRecord(properties) ? known(() => properties.rotationPolicy) : undefined;
        if (policy === UNKNOWN) return;
        const actions = isRecord(policy) ? known(() => asArray(policy.lifetimeActions as unknown[])) : [];
        if (actions === UNKNOWN) return;
        const rotate = actions.filter(
          (a) => isRecord(a) && isRecord(a.action) && String(a.action.type).toLowerCase() === "rotate",
        ) as Array<Record<string, Record<string, unknown>>>;
        if (rotate.length === 0) {
          reportViolation(
            `Key Vault key "${args.name}" has no rotationPolicy lifetime action of type "rotate".`,
          );
          return;
        }
        // A rotation fires timeAfterCreate after each version, or timeBeforeExpiry before the expiryTime each
        // version gets from rotationPolicy.attributes; without either the interval is unbounded.
        const attributes = isRecord(policy) ? known(() => policy.attributes) : undefined;
        if (attributes === UNKNOWN) return;
        const expiry = isRecord(attributes) ? isoDurationSeconds(attributes.expiryTime) : undefined;
        const intervals = rotate
          .map((a) => {
            const after = isoDurationSeconds(a.trigger?.timeAfterCreate);
            if (after !== undefined) return after;
            const before = isoDurationSeconds(a.trigger?.timeBeforeExpiry);
            return expiry !== undefined && before !== undefined ? expiry - before : undefined;
          })
          .filter((s): s is number => s !== undefined);
        if (intervals.length === 0) {
          reportViolation(
            `Key Vault key "${args.name}" has no rotation interval: set trigger.timeAfterCreate (or timeBeforeExpiry with ` +
              `rotationPolicy.attributes.expiryTime) to rotate within ${config.azureMaxRotationDays} days.`,
          );
        } else if (Math.min(...intervals) > config.azureMaxRotationDays * DAY) {
          reportViolation(
            `Key Vault key "${args.name}" rotates ${days(Math.min(...intervals))} after creation; the limit is ${config.azureMaxRotationDays} days.`,
          );
        }
        return;
      }
    }
  }),
};
