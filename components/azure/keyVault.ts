import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import { Problems, validateOrThrow } from "../airflow";
import { checkArmId, checkResourceGroupName, checkVaultName, parseArmId, vaultUrl } from "./naming";
import {
  NetworkDefaultAction,
  PublicNetworkAccess,
  VaultSku,
  checkIpRange,
  defaultVaultNetwork,
} from "./settings";

/** Soft-deleted secrets and vaults stay recoverable this long (Key Vault's maximum). */
export const SOFT_DELETE_RETENTION_DAYS = 90;

export interface AirflowKeyVaultArgs {
  /** Vault name: 3-24 letters, digits and -, globally unique. Ignored with `existing`. */
  name: string;
  resourceGroupName: string;
  location: string;
  /** Entra tenant that authenticates requests to the vault. */
  tenantId: pulumi.Input<string>;
  /** Bring your own vault by resource id (RBAC authorization required); nothing is created. */
  existing?: { id: string };
  /** `standard`, or `premium` for HSM-backed keys. Default standard. */
  sku?: VaultSku;
  /**
   * Default `Disabled` (only private endpoints reach the data plane), `Enabled` when allowedIpRanges or
   * subnetIds are listed: the same default as `airflow-secrets:azure` `vault.publicNetworkAccess`
   * (one function, `defaultVaultNetwork`).
   */
  publicNetworkAccess?: PublicNetworkAccess;
  /** Firewall default for the public endpoint. Default Deny (as in stack files). */
  networkDefaultAction?: NetworkDefaultAction;
  /** IPv4 addresses / CIDR ranges (/0-/30) allowed through the firewall. */
  allowedIpRanges?: string[];
  /** Subnet ids allowed through the firewall (with the Microsoft.KeyVault service endpoint). */
  subnetIds?: string[];
  /** Data-plane DNS suffix. Default vault.azure.net. */
  dnsSuffix?: string;
  /** Protect the vault from `pulumi destroy` (production). */
  protect?: boolean;
  tags?: Record<string, string>;
}

export function validateKeyVaultArgs(args: AirflowKeyVaultArgs, problems: Problems): void {
  if (args.existing !== undefined) {
    const existing = checkArmId(args.existing.id, "Microsoft.KeyVault/vaults", "existing.id", problems);
    if (existing) checkVaultName(existing.name, "existing.id", problems);
    return;
  }
  checkVaultName(args.name, "name", problems);
  checkResourceGroupName(args.resourceGroupName, "resourceGroupName", problems);
  (args.allowedIpRanges ?? []).forEach((range, i) => checkIpRange(range, `allowedIpRanges[${i}]`, problems));
  (args.subnetIds ?? []).forEach((id, i) =>
    checkArmId(id, "Microsoft.Network/virtualNetworks/subnets", `subnetIds[${i}]`, problems),
  );
  const rules = (args.allowedIpRanges ?? []).length + (args.subnetIds ?? []).length;
  if ((args.publicNetworkAccess ?? defaultVaultNetwork(args).publicNetworkAccess) === "Disabled") {
    problems.check(
      rules === 0,
      "publicNetworkAccess",
      "is Disabled, so allowedIpRanges and subnetIds would never apply",
    );
  }
}

/**
 * One environment's Key Vault: RBAC authorization (no access policies), soft delete for 90 days,
 * purge protection (cannot be turned off again), public access off by default, firewall default
 * Deny with the listed ranges and subnets. Or an existing vault, used as it is.
 */
export class AirflowKeyVault extends pulumi.ComponentResource {
  /** ARM id of the vault. */
  readonly id: pulumi.Output<string>;
  /** Vault name, an Output so secrets wait for the vault. */
  readonly vaultName: pulumi.Output<string>;
  readonly resourceGroupName: string;
  /** `https://{name}.vault.azure.net/`, known before deployment (Airflow's `vault_url`). */
  readonly url: string;
  /** Present unless the vault is brought in with `existing`. */
  readonly vault?: keyvault.Vault;

  constructor(name: string, args: AirflowKeyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    validateOrThrow("AirflowKeyVault", (problems) => validateKeyVaultArgs(args, problems));
    super("airflow-secrets:azure:AirflowKeyVault", name, {}, opts);

    const existing =
      args.existing !== undefined ? parseArmId(args.existing.id, "Microsoft.KeyVault/vaults")! : undefined;
    if (existing) {
      this.id = pulumi.output(existing.id);
      this.vaultName = pulumi.output(existing.name);
      this.resourceGroupName = existing.resourceGroupName;
      this.url = vaultUrl(existing.name, args.dnsSuffix);
    } else {
      this.vault = new keyvault.Vault(
        `${name}-vault`,
        {
          vaultName: args.name,
          resourceGroupName: args.resourceGroupName,
          location: args.location,
          properties: {
            tenantId: args.tenantId,
            sku: { family: "A", name: args.sku ?? "standard" },
            enableRbacAuthorization: true,
            enableSoftDelete: true,
            softDeleteRetentionInDays: SOFT_DELETE_RETENTION_DAYS,
            enablePurgeProtection: true,
            enabledForDeployment: false,
            enabledForDiskEncryption: false,
            enabledForTemplateDeployment: false,
            publicNetworkAccess: args.publicNetworkAccess ?? defaultVaultNetwork(args).publicNetworkAccess,
            networkAcls: {
              // No trusted-service bypass: nothing this backend runs needs it, and the ARM secret API
              // `pulumi up` writes through is not subject to the data-plane firewall anyway.
              bypass: "None",
              defaultAction: args.networkDefaultAction ?? defaultVaultNetwork(args).networkDefaultAction,
              ipRules: (args.allowedIpRanges ?? []).map((value) => ({ value })),
              virtualNetworkRules: (args.subnetIds ?? []).map((id) => ({
                id,
                ignoreMissingVnetServiceEndpoint: false,
              })),
            },
          },
          tags: args.tags,
        },
        { parent: this, protect: args.protect, retainOnDelete: args.protect },
      );
      this.id = this.vault.id;
      this.vaultName = this.vault.name;
      this.resourceGroupName = args.resourceGroupName;
      this.url = vaultUrl(args.name, args.dnsSuffix);
    }
    this.registerOutputs({ id: this.id, vaultName: this.vaultName, url: this.url });
  }
}
