/**
 * The Azure backend's settings rules (stack config `airflow-secrets:azure`). The shape is described
 * once, in `schema.ts`, and parsed by the environment's adapter; `resolveAzureSettings` applies the
 * defaults that depend on the environment (vault name, production retention, the network default)
 * and the rules that span fields. Pure: registers nothing, reads no clock, reports every problem with
 * its field path.
 */
import { Problems, SecretsLayout } from "../airflow";
import { STANDARD_LABEL_KEYS, standardLabels } from "../core/labels";
import { refuseWithExisting } from "../core/existing";
import { parseSettings } from "../core/schema";
import { DEFAULT_EXPIRY_DAYS, ExpirySettings, validateExpiry } from "./expiry";
import {
  ArmId,
  DEFAULT_VAULT_DNS_SUFFIX,
  checkVaultName,
  defaultVaultName,
  parseArmId,
  vaultUrl,
} from "./naming";
import {
  AzureParsedSettings,
  AzureSettingsSchemaInput,
  MAX_RETENTION_DAYS,
  MIN_RETENTION_DAYS,
  PRODUCTION_MIN_IP_PREFIX,
  ipPrefix,
  ipRange,
  issuerUrl,
  retentionDays,
  settingsSchema,
  tagNameProblem,
} from "./schema";
import { checkSecretTagCount } from "./secretStore";

export { MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, settingsSchema };

export type VaultSku = "standard" | "premium";
export type PublicNetworkAccess = "Enabled" | "Disabled";
export type NetworkDefaultAction = "Allow" | "Deny";
export type RotationPlan = "consumption" | "premium";
export type PrincipalType = "ServicePrincipal" | "User" | "Group";

/** Stack config `airflow-secrets:azure` as a stack file or a TypeScript caller writes it (inferred from the schema). */
export type AzureBackendSettings = AzureSettingsSchemaInput;
export type VaultSettings = NonNullable<AzureBackendSettings["vault"]>;
export type DiagnosticsSettings = NonNullable<AzureBackendSettings["diagnostics"]>;
export type RotationSettings = NonNullable<AzureBackendSettings["rotation"]>;

/** Settings with every default applied. */
export interface ResolvedAzureSettings {
  location: string;
  resourceGroupName: string;
  tenantId?: string;
  vault: {
    existing?: ArmId;
    name: string;
    /** Group the vault lives in (the configured one, or the existing vault's). */
    resourceGroupName: string;
    url: string;
    sku: VaultSku;
    publicNetworkAccess: PublicNetworkAccess;
    networkDefaultAction: NetworkDefaultAction;
    allowedIpRanges: string[];
    subnetIds: string[];
  };
  /** Absent off Kubernetes (no federated credential). */
  aksOidcIssuerUrl?: string;
  expiry: ExpirySettings;
  ciWriter?: { principalId: string; principalType: PrincipalType };
  diagnostics: {
    workspaceId?: string;
    retentionDays: number;
    actionGroupId?: string;
    failedReadThreshold: number;
  };
  rotation: { plan: RotationPlan; subnetId?: string };
  layout?: Partial<SecretsLayout>;
  tags: Record<string, string>;
}

export interface SettingsContext {
  environment: string;
  production: boolean;
  owner?: string;
  /** Inputs to the default names' digest (project, stack): different stacks get different names. */
  uniqueness: readonly string[];
  now: Date;
}

/**
 * The one network default of a vault, for stack files and the `AirflowKeyVault` component alike:
 * closed (private endpoints only) unless firewall rules are listed, then the public endpoint with a
 * Deny default that lets only those rules through. Opening a vault to everyone is always written out.
 */
export function defaultVaultNetwork(firewall: {
  allowedIpRanges?: readonly string[];
  subnetIds?: readonly string[];
}): {
  publicNetworkAccess: PublicNetworkAccess;
  networkDefaultAction: NetworkDefaultAction;
} {
  const rules = (firewall.allowedIpRanges ?? []).length + (firewall.subnetIds ?? []).length > 0;
  return { publicNetworkAccess: rules ? "Enabled" : "Disabled", networkDefaultAction: "Deny" };
}

/** The firewall range rule, for the `AirflowKeyVault` component used on its own. */
export function checkIpRange(value: unknown, path: string, problems: Problems): void {
  parseSettings(ipRange(), value, path, problems);
}

/** The issuer rule, for the `KeyVaultAccess` component used on its own. */
export function checkIssuerUrl(value: unknown, path: string, problems: Problems): void {
  parseSettings(issuerUrl(), value, path, problems);
}

/** The retention rule (Log Analytics' range), for the `KeyVaultDiagnostics` component used on its own. */
export function checkRetentionDays(value: unknown, path: string, problems: Problems): void {
  parseSettings(retentionDays(), value, path, problems);
}

type Parsed = Partial<AzureParsedSettings>;

/** Where the vault is, as far as the settings say: what Airflow's `vault_url` and every grant need. */
export interface VaultLocation {
  existing?: ArmId;
  name: string;
  /** Group the vault lives in (the configured one, or the existing vault's). */
  resourceGroupName: string;
  url: string;
}

/**
 * The vault's name, group and URL: the existing vault's, the configured name, or the default name
 * (a digest of project, stack, group and environment). Undefined while the settings that decide it
 * are missing (partial settings after a shape problem).
 */
export function vaultLocation(
  s: Parsed,
  context: Pick<SettingsContext, "environment" | "uniqueness">,
): VaultLocation | undefined {
  const vault = s.vault ?? {};
  const dnsSuffix = vault.dnsSuffix ?? DEFAULT_VAULT_DNS_SUFFIX;
  const existing = vault.existing ? parseArmId(vault.existing.id, "Microsoft.KeyVault/vaults") : undefined;
  if (existing !== undefined)
    return {
      existing,
      name: existing.name,
      resourceGroupName: existing.resourceGroupName,
      url: vaultUrl(existing.name, dnsSuffix),
    };
  if (s.resourceGroupName === undefined) return undefined;
  const name =
    vault.name ?? defaultVaultName(context.environment, [...context.uniqueness, s.resourceGroupName]);
  return { name, resourceGroupName: s.resourceGroupName, url: vaultUrl(name, dnsSuffix) };
}

/**
 * Defaults and cross-field rules over the parsed settings. `complete` is false when the schema
 * refused part of them (already reported): the rules still judge what is left, so one run lists
 * everything, and nothing is returned. Returns undefined when a problem was found.
 */
export function resolveAzureSettings(
  s: Parsed,
  complete: boolean,
  context: SettingsContext,
  problems: Problems,
): ResolvedAzureSettings | undefined {
  const before = problems.list.length;

  const expiry: ExpirySettings = { expiresOn: s.secretExpiresOn, days: s.secretExpiryDays };
  validateExpiry(expiry, context.now, problems, {
    expiresOn: "azure.secretExpiresOn",
    days: "azure.secretExpiryDays",
  });
  problems.check(
    !(s.secretExpiresOn !== undefined && s.secretExpiryDays !== undefined),
    "azure.secretExpiresOn",
    "set either secretExpiresOn or secretExpiryDays, not both",
  );

  let ciWriter: ResolvedAzureSettings["ciWriter"];
  if (s.ciWriterPrincipalId !== undefined) {
    ciWriter = {
      principalId: s.ciWriterPrincipalId,
      principalType: s.ciWriterPrincipalType ?? "ServicePrincipal",
    };
  } else if (complete) {
    // With incomplete settings the id may be absent only because the schema refused it.
    problems.check(
      s.ciWriterPrincipalType === undefined,
      "azure.ciWriterPrincipalType",
      "needs ciWriterPrincipalId",
    );
  }

  const vault = resolveVault(s, context, problems);
  const diagnostics = resolveDiagnostics(s.diagnostics ?? {}, context, problems);
  const rotation = resolveRotation(s.rotation ?? {}, problems);
  const tags = s.tags ?? {};
  for (const name of Object.keys(tags)) {
    const rule = tagNameProblem(name);
    if (rule) problems.add(`azure.tags.${name}`, rule);
    problems.check(
      !(STANDARD_LABEL_KEYS as readonly string[]).includes(name),
      `azure.tags.${name}`,
      "is a tag this library sets on every resource (from environment and owner); remove it here",
    );
  }
  const allTags = standardLabels(context.environment, context.owner, tags);
  checkSecretTagCount(allTags, "azure.tags", problems);

  if (!complete || problems.list.length > before || vault === undefined) return undefined;
  const settings = s as AzureParsedSettings;
  return {
    location: settings.location,
    resourceGroupName: settings.resourceGroupName,
    tenantId: settings.tenantId,
    vault,
    aksOidcIssuerUrl: settings.aksOidcIssuerUrl,
    expiry:
      expiry.expiresOn !== undefined
        ? { expiresOn: expiry.expiresOn }
        : { days: expiry.days ?? DEFAULT_EXPIRY_DAYS },
    ciWriter,
    diagnostics,
    rotation,
    layout: settings.layout ? (settings.layout as Partial<SecretsLayout>) : undefined,
    tags: allTags,
  };
}

/** Vault settings that shape a vault this stack creates: meaningless with `existing`. */
const CREATED_VAULT_KEYS = [
  "name",
  "sku",
  "publicNetworkAccess",
  "networkDefaultAction",
  "allowedIpRanges",
  "subnetIds",
] as const;

function resolveVault(
  s: Parsed,
  context: SettingsContext,
  problems: Problems,
): ResolvedAzureSettings["vault"] | undefined {
  const path = "azure.vault";
  const raw = s.vault ?? {};
  // A YAML null list is no list: refuse `sku` and friends with `existing`, not an empty firewall.
  refuseWithExisting(
    Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null)),
    CREATED_VAULT_KEYS,
    path,
    problems,
  );
  const location = vaultLocation(s, context);
  if (location === undefined) return undefined;
  if (location.existing !== undefined) checkVaultName(location.name, `${path}.existing.id`, problems);
  else if (raw.name === undefined) checkVaultName(location.name, `${path}.name`, problems);

  const allowedIpRanges = raw.allowedIpRanges ?? [];
  const subnetIds = raw.subnetIds ?? [];
  const defaults = defaultVaultNetwork({ allowedIpRanges, subnetIds });
  const publicNetworkAccess = raw.publicNetworkAccess ?? defaults.publicNetworkAccess;
  const networkDefaultAction = raw.networkDefaultAction ?? defaults.networkDefaultAction;
  const firewallRules = allowedIpRanges.length + subnetIds.length > 0;
  if (publicNetworkAccess === "Disabled") {
    problems.check(
      !firewallRules,
      `${path}.publicNetworkAccess`,
      "is Disabled, so allowedIpRanges and subnetIds would never apply (only private endpoints reach the vault): enable public access or drop them",
    );
  }
  if (publicNetworkAccess === "Enabled" && networkDefaultAction === "Deny") {
    problems.check(
      firewallRules,
      `${path}.networkDefaultAction`,
      "is Deny with no allowedIpRanges or subnetIds: nothing could reach the vault over the public endpoint; list them, or set publicNetworkAccess Disabled and use a private endpoint",
    );
  }
  if (context.production && location.existing === undefined) {
    // A production vault is never world-open: not by default action, not by a range that covers the internet.
    problems.check(
      !(publicNetworkAccess === "Enabled" && networkDefaultAction === "Allow"),
      `${path}.networkDefaultAction`,
      "is Allow with public access Enabled: the production vault would be open to the whole internet; keep Deny and list allowedIpRanges or subnetIds",
    );
    allowedIpRanges.forEach((range, i) =>
      problems.check(
        ipPrefix(range) >= PRODUCTION_MIN_IP_PREFIX,
        `${path}.allowedIpRanges[${i}]`,
        `is wider than /${PRODUCTION_MIN_IP_PREFIX}: a production vault is never open to the internet at large; list your egress ranges`,
      ),
    );
  }

  return {
    ...location,
    sku: raw.sku ?? "standard",
    publicNetworkAccess,
    networkDefaultAction,
    allowedIpRanges,
    subnetIds,
  };
}

function resolveDiagnostics(
  raw: NonNullable<Parsed["diagnostics"]>,
  context: SettingsContext,
  problems: Problems,
): ResolvedAzureSettings["diagnostics"] {
  const path = "azure.diagnostics";
  refuseWithExisting(raw, ["retentionDays"], path, problems);
  if (raw.actionGroupId === undefined && context.production) {
    problems.add(
      `${path}.actionGroupId`,
      "is required in production: failed secret reads must page someone (the checklist's alerting on failed lookups)",
    );
  }
  return {
    workspaceId: raw.existing?.workspaceId,
    retentionDays: raw.retentionDays ?? (context.production ? 365 : 90),
    actionGroupId: raw.actionGroupId,
    failedReadThreshold: raw.failedReadThreshold ?? 0,
  };
}

function resolveRotation(
  raw: NonNullable<Parsed["rotation"]>,
  problems: Problems,
): ResolvedAzureSettings["rotation"] {
  if (raw.subnetId !== undefined) {
    problems.check(
      raw.plan !== "consumption",
      "azure.rotation.plan",
      "consumption (Linux Y1) has no VNet integration; use premium with subnetId",
    );
  }
  return {
    plan: raw.plan ?? (raw.subnetId !== undefined ? "premium" : "consumption"),
    subnetId: raw.subnetId,
  };
}
