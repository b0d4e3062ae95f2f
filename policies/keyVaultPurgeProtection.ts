import { ENVIRONMENT_CONFIG_SCHEMA } from "./lib/environment";
import { AirflowStackPolicy, perResource, readConfig } from "./lib/policy";
import { UNKNOWN, isRecord, known } from "./lib/values";

const configSchema = {
  properties: {
    ...ENVIRONMENT_CONFIG_SCHEMA,
    productionMinRetentionDays: {
      type: "integer" as const,
      minimum: 7,
      maximum: 90,
      default: 30,
      description: "Shortest soft-delete retention for production vaults (Azure allows 7-90, default 90).",
    },
  },
};

interface PurgeConfig {
  productionMinRetentionDays: number;
}

/**
 * Azure's counterpart of a KMS deletion window: soft delete keeps deleted secrets and keys
 * recoverable, purge protection stops anyone (including this stack) from purging them before the
 * retention period ends. Without it a deleted vault takes the Fernet key and every connection with it.
 */
export const keyVaultPurgeProtection: AirflowStackPolicy = {
  name: "key-vault-purge-protection",
  description:
    "Key Vaults keep soft delete on; production vaults (and managed HSMs) also enable purge protection with at least 30 days of retention.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set properties.enablePurgeProtection: true and leave properties.enableSoftDelete unset or true; keep " +
    "properties.softDeleteRetentionInDays at 30 or more (90 is Azure's default). Purge protection cannot be turned off again, " +
    "which is the point. The azure backend sets these in production.",
  configSchema,
  resourceTypes: ["azure-native:keyvault:Vault", "azure-native:keyvault:ManagedHsm"],
  configExample: { productionMinRetentionDays: 60, productionStacks: ["live"] },
  validateStack: perResource((args, reportViolation, stack) => {
    if (args.type !== "azure-native:keyvault:Vault" && args.type !== "azure-native:keyvault:ManagedHsm")
      return;
    const config = readConfig<PurgeConfig>(stack, configSchema);
    const properties = known(() => args.props.properties);
    if (properties === UNKNOWN || !isRecord(properties)) return;
    const kind = args.type.endsWith("ManagedHsm") ? "Managed HSM" : "Key Vault";
    if (known(() => properties.enableSoftDelete) === false) {
      reportViolation(
        `${kind} "${args.name}" disables soft delete: deleted secrets and keys could not be recovered.`,
      );
    }
    if (!args.context.production) return;
    if (
      known(() => properties.enablePurgeProtection) !== true &&
      known(() => properties.enablePurgeProtection) !== UNKNOWN
    ) {
      reportViolation(
        `${kind} "${args.name}" has no purge protection: set properties.enablePurgeProtection: true.`,
      );
    }
    const retention = known(() => properties.softDeleteRetentionInDays);
    if (typeof retention === "number" && retention < config.productionMinRetentionDays) {
      reportViolation(
        `${kind} "${args.name}" keeps deleted objects ${retention} days; production needs ${config.productionMinRetentionDays}.`,
      );
    }
  }),
};
