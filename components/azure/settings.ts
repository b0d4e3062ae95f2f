/**
 * The Azure backend's settings (stack config `airflow-secrets:azure`) and their validation. Every
 * rule lives here once; the stack backend's prepare phase and the components' constructors both
 * call it, so a bad setting is reported with its path before anything is registered.
 */
import { Problems, SecretsLayout } from "../airflow";
import { DEFAULT_EXPIRY_DAYS, ExpirySettings, validateExpiry } from "./expiry";
import {
  ArmId,
  DEFAULT_VAULT_DNS_SUFFIX,
  checkArmId,
  checkGuid,
  checkResourceGroupName,
  checkVaultName,
  defaultVaultName,
  vaultUrl,
} from "./naming";
import { checkSecretTagCount } from "./secretStore";

export type VaultSku = "standard" | "premium";
export type PublicNetworkAccess = "Enabled" | "Disabled";
export type NetworkDefaultAction = "Allow" | "Deny";
export type RotationPlan = "consumption" | "premium";
export type PrincipalType = "ServicePrincipal" | "User" | "Group";

export interface VaultSettings {
  /** Bring your own vault: its resource id. It must use RBAC authorization; nothing else is changed on it. */
  existingId?: string;
  /** Vault name (3-24, globally unique). Default `kv-airflow-{env}-{5 hex}` derived from project, stack and group. */
  name?: string;
  /** `standard`, or `premium` for HSM-backed keys. Default standard. */
  sku?: VaultSku;
  /** Default `Disabled` in production (private endpoint only) unless allowed ranges or subnets are listed, else `Enabled`. */
  publicNetworkAccess?: PublicNetworkAccess;
  /** Firewall default when public access is enabled. Default `Deny` in production and whenever ranges or subnets are listed. */
  networkDefaultAction?: NetworkDefaultAction;
  /** IPv4 addresses or CIDR ranges (prefix /0-/30; Key Vault refuses /31 and /32, list the addresses instead). */
  allowedIpRanges?: string[];
  /** Subnet resource ids allowed through the firewall (they need the Microsoft.KeyVault service endpoint). */
  subnetIds?: string[];
  /** Data-plane DNS suffix; `vault.azure.cn`, `vault.usgovcloudapi.net` for sovereign clouds. */
  dnsSuffix?: string;
}

export interface DiagnosticsSettings {
  /** Existing Log Analytics workspace id; otherwise one is created. */
  workspaceId?: string;
  /** Retention of a created workspace, 30-730 days. Default 90 (365 in production). */
  retentionDays?: number;
  /** Action group notified when secret reads fail. Required in production. */
  actionGroupId?: string;
  /** Failed secret reads tolerated per 5-minute window before alerting. Default 0. */
  failedReadThreshold?: number;
}

export interface RotationSettings {
  /** `consumption` (Linux Y1, no VNet) or `premium` (Elastic Premium EP1, VNet integration). Default consumption, premium when `subnetId` is set. */
  plan?: RotationPlan;
  /** Subnet for the function's VNet integration (delegated to Microsoft.Web/serverFarms); needs plan premium. */
  subnetId?: string;
}

/** Stack config `airflow-secrets:azure`. */
export interface AzureBackendSettings {
  /** Azure region, e.g. `westeurope`. */
  location: string;
  /** Resource group every created resource goes into (it must exist). */
  resourceGroupName: string;
  /** Entra tenant; default the provider's. */
  tenantId?: string;
  vault?: VaultSettings;
  /** The AKS cluster's OIDC issuer URL (`az aks show --query oidcIssuerProfile.issuerUrl`). */
  aksOidcIssuerUrl: string;
  /** Days from the start of the current quarter until non-rotated secrets expire (93-3650, default 365). */
  secretExpiryDays?: number;
  /** Fixed expiry date (YYYY-MM-DD) instead of `secretExpiryDays`. */
  secretExpiresOn?: string;
  /** Object id of the CI principal that may write (never read) secrets. */
  ciWriterPrincipalId?: string;
  /** Kind of that principal. Default ServicePrincipal. */
  ciWriterPrincipalType?: PrincipalType;
  diagnostics?: DiagnosticsSettings;
  rotation?: RotationSettings;
  /** Overrides of the Airflow layout (`connectionsPrefix`, `variablesPrefix`, `configPrefix`, `sep`). */
  layout?: Partial<SecretsLayout>;
  /** Extra tags on every resource that takes tags. */
  tags?: Record<string, string>;
}

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
  aksOidcIssuerUrl: string;
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

const SETTINGS_KEYS = [
  "location",
  "resourceGroupName",
  "tenantId",
  "vault",
  "aksOidcIssuerUrl",
  "secretExpiryDays",
  "secretExpiresOn",
  "ciWriterPrincipalId",
  "ciWriterPrincipalType",
  "diagnostics",
  "rotation",
  "layout",
  "tags",
];
/** Vault settings that shape a vault this stack creates: meaningless with `existingId`. */
const CREATED_VAULT_KEYS = [
  "name",
  "sku",
  "publicNetworkAccess",
  "networkDefaultAction",
  "allowedIpRanges",
  "subnetIds",
];
const VAULT_KEYS = ["existingId", ...CREATED_VAULT_KEYS, "dnsSuffix"];
const DIAGNOSTICS_KEYS = ["workspaceId", "retentionDays", "actionGroupId", "failedReadThreshold"];
const ROTATION_KEYS = ["plan", "subnetId"];
const LAYOUT_KEYS = ["connectionsPrefix", "variablesPrefix", "configPrefix", "sep"];

export const MIN_RETENTION_DAYS = 30;
export const MAX_RETENTION_DAYS = 730;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Unknown keys are typos until proven otherwise: a misspelt `publicNetworkAcess` must not silently fall back. */
function checkKeys(
  value: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  problems: Problems,
): void {
  for (const key of Object.keys(value)) {
    problems.check(
      allowed.includes(key),
      `${path}.${key}`,
      `is not a setting here (allowed: ${allowed.join(", ")})`,
    );
  }
}

function objectAt(
  parent: Record<string, unknown>,
  key: string,
  path: string,
  problems: Problems,
): Record<string, unknown> {
  const value = parent[key];
  if (value === undefined) return {};
  if (isObject(value)) return value;
  problems.add(`${path}.${key}`, "must be an object");
  return {};
}

function oneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  path: string,
  problems: Problems,
): value is T | undefined {
  return (
    value === undefined ||
    problems.check(
      allowed.includes(value as T),
      path,
      `must be one of ${allowed.join(", ")} (got ${JSON.stringify(value)})`,
    )
  );
}

function stringList(value: unknown, path: string, problems: Problems): string[] {
  if (value === undefined) return [];
  if (!problems.check(Array.isArray(value), path, "must be a list")) return [];
  return value as string[];
}

/** Public IPv4 address or CIDR with prefix 0-30, as the Key Vault firewall accepts them. */
export function checkIpRange(value: unknown, path: string, problems: Problems): void {
  const match =
    typeof value === "string"
      ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(value)
      : null;
  const octetsOk =
    match !== null && match.slice(1, 5).every((o) => Number(o) <= 255 && String(Number(o)) === o);
  if (
    !problems.check(
      octetsOk,
      path,
      `must be an IPv4 address or CIDR range like 203.0.113.0/24 (got ${JSON.stringify(value)}); Key Vault firewalls take no IPv6`,
    )
  )
    return;
  const [a, b] = [Number(match![1]), Number(match![2])];
  problems.check(
    !(a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)),
    path,
    `Key Vault IP rules take public addresses only, not private (RFC 1918) ones like ${value}: let a private network in through subnetIds (service endpoint) or a private endpoint`,
  );
  if (match![5] !== undefined) {
    const prefix = Number(match![5]);
    problems.check(
      prefix <= 30,
      path,
      `Key Vault refuses /31 and /32 ranges: list the single address instead (got ${value})`,
    );
  }
}

/** The OIDC issuer must be https: Entra fetches its discovery document to trust the cluster's tokens. */
export function checkIssuerUrl(value: unknown, path: string, problems: Problems): void {
  let url: URL | undefined;
  try {
    url = typeof value === "string" ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  problems.check(
    url !== undefined &&
      url.protocol === "https:" &&
      url.hostname !== "" &&
      !url.search &&
      !url.hash &&
      !url.username,
    path,
    `must be the cluster's https OIDC issuer URL, e.g. https://westeurope.oic.prod-aks.azure.com/{tenant}/{guid}/ (got ${JSON.stringify(value)})`,
  );
}

export function checkRetentionDays(value: unknown, path: string, problems: Problems): void {
  problems.check(
    Number.isInteger(value) &&
      (value as number) >= MIN_RETENTION_DAYS &&
      (value as number) <= MAX_RETENTION_DAYS,
    path,
    `must be a whole number of days from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS} (Log Analytics' range; got ${JSON.stringify(value)})`,
  );
}

function checkTags(value: unknown, path: string, problems: Problems): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) {
    problems.add(path, "must be a map of tag names to strings");
    return {};
  }
  for (const [key, tag] of Object.entries(value)) {
    problems.check(
      key.length >= 1 && key.length <= 512 && !/[<>%&\\?/]/.test(key),
      `${path}.${key}`,
      "tag names are 1-512 characters without < > % & \\ ? /",
    );
    problems.check(
      typeof tag === "string" && tag.length <= 256,
      `${path}.${key}`,
      "tag values are strings of at most 256 characters",
    );
  }
  return value as Record<string, string>;
}

/**
 * Validates `raw` (path prefix `azure`) and applies defaults. Returns undefined when a problem was
 * found; every problem is in `problems`.
 */
export function resolveAzureSettings(
  raw: unknown,
  context: SettingsContext,
  problems: Problems,
): ResolvedAzureSettings | undefined {
  const before = problems.list.length;
  const path = "azure";
  if (!isObject(raw)) {
    problems.add(
      path,
      "settings (airflow-secrets:azure) must be an object with location, resourceGroupName and aksOidcIssuerUrl",
    );
    return undefined;
  }
  checkKeys(raw, SETTINGS_KEYS, path, problems);
  problems.check(
    typeof raw.location === "string" && /^[a-z][a-z0-9]{1,39}$/.test(raw.location),
    `${path}.location`,
    `must be an Azure region name like westeurope (got ${JSON.stringify(raw.location)})`,
  );
  checkResourceGroupName(raw.resourceGroupName, `${path}.resourceGroupName`, problems);
  if (raw.tenantId !== undefined)
    checkGuid(raw.tenantId, `${path}.tenantId`, problems, "the Entra tenant id");
  checkIssuerUrl(raw.aksOidcIssuerUrl, `${path}.aksOidcIssuerUrl`, problems);

  const expiry: ExpirySettings = {
    expiresOn: raw.secretExpiresOn as string | undefined,
    days: raw.secretExpiryDays as number | undefined,
  };
  validateExpiry(expiry, context.now, problems, {
    expiresOn: `${path}.secretExpiresOn`,
    days: `${path}.secretExpiryDays`,
  });
  problems.check(
    !(raw.secretExpiresOn !== undefined && raw.secretExpiryDays !== undefined),
    `${path}.secretExpiresOn`,
    "set either secretExpiresOn or secretExpiryDays, not both",
  );

  let ciWriter: ResolvedAzureSettings["ciWriter"];
  if (raw.ciWriterPrincipalId !== undefined) {
    checkGuid(
      raw.ciWriterPrincipalId,
      `${path}.ciWriterPrincipalId`,
      problems,
      "the CI principal's object id",
    );
    oneOf(
      raw.ciWriterPrincipalType,
      ["ServicePrincipal", "User", "Group"] as const,
      `${path}.ciWriterPrincipalType`,
      problems,
    );
    ciWriter = {
      principalId: raw.ciWriterPrincipalId as string,
      principalType: (raw.ciWriterPrincipalType as PrincipalType) ?? "ServicePrincipal",
    };
  } else {
    problems.check(
      raw.ciWriterPrincipalType === undefined,
      `${path}.ciWriterPrincipalType`,
      "needs ciWriterPrincipalId",
    );
  }

  const vault = resolveVault(objectAt(raw, "vault", path, problems), raw, context, problems);
  const diagnostics = resolveDiagnostics(objectAt(raw, "diagnostics", path, problems), context, problems);
  const rotation = resolveRotation(objectAt(raw, "rotation", path, problems), problems);

  const layout = objectAt(raw, "layout", path, problems);
  checkKeys(layout, LAYOUT_KEYS, `${path}.layout`, problems);
  const tags = checkTags(raw.tags, `${path}.tags`, problems);

  const allTags = {
    "managed-by": "airflow-secrets",
    "airflow-environment": context.environment,
    ...(context.owner ? { owner: context.owner } : {}),
    ...tags,
  };
  checkSecretTagCount(allTags, `${path}.tags`, problems);

  if (problems.list.length > before || !vault) return undefined;
  return {
    location: raw.location as string,
    resourceGroupName: raw.resourceGroupName as string,
    tenantId: raw.tenantId as string | undefined,
    vault,
    aksOidcIssuerUrl: raw.aksOidcIssuerUrl as string,
    expiry:
      expiry.expiresOn !== undefined
        ? { expiresOn: expiry.expiresOn }
        : { days: expiry.days ?? DEFAULT_EXPIRY_DAYS },
    ciWriter,
    diagnostics,
    rotation,
    layout: raw.layout === undefined ? undefined : (layout as Partial<SecretsLayout>),
    tags: allTags,
  };
}

function resolveVault(
  raw: Record<string, unknown>,
  settings: Record<string, unknown>,
  context: SettingsContext,
  problems: Problems,
): ResolvedAzureSettings["vault"] | undefined {
  const path = "azure.vault";
  checkKeys(raw, VAULT_KEYS, path, problems);
  const dnsSuffix = raw.dnsSuffix ?? DEFAULT_VAULT_DNS_SUFFIX;
  problems.check(
    typeof dnsSuffix === "string" && /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(dnsSuffix),
    `${path}.dnsSuffix`,
    `must be a DNS suffix like vault.azure.net (got ${JSON.stringify(dnsSuffix)})`,
  );

  let existing: ArmId | undefined;
  let name: string;
  if (raw.existingId !== undefined) {
    existing = checkArmId(raw.existingId, "Microsoft.KeyVault/vaults", `${path}.existingId`, problems);
    for (const key of CREATED_VAULT_KEYS) {
      problems.check(
        raw[key] === undefined,
        `${path}.${key}`,
        "configures a vault this stack creates; with existingId the vault is yours and is not changed",
      );
    }
    name = existing?.name ?? "";
    if (existing) checkVaultName(name, `${path}.existingId`, problems);
  } else if (raw.name !== undefined) {
    name = raw.name as string;
    checkVaultName(name, `${path}.name`, problems);
  } else {
    name = defaultVaultName(context.environment, [...context.uniqueness, String(settings.resourceGroupName)]);
    checkVaultName(name, `${path}.name`, problems);
  }

  oneOf(raw.sku, ["standard", "premium"] as const, `${path}.sku`, problems);
  oneOf(raw.publicNetworkAccess, ["Enabled", "Disabled"] as const, `${path}.publicNetworkAccess`, problems);
  oneOf(raw.networkDefaultAction, ["Allow", "Deny"] as const, `${path}.networkDefaultAction`, problems);
  const allowedIpRanges = stringList(raw.allowedIpRanges, `${path}.allowedIpRanges`, problems);
  allowedIpRanges.forEach((range, i) => checkIpRange(range, `${path}.allowedIpRanges[${i}]`, problems));
  const subnetIds = stringList(raw.subnetIds, `${path}.subnetIds`, problems);
  subnetIds.forEach((id, i) =>
    checkArmId(id, "Microsoft.Network/virtualNetworks/subnets", `${path}.subnetIds[${i}]`, problems),
  );

  const firewallRules = allowedIpRanges.length + subnetIds.length > 0;
  const publicNetworkAccess: PublicNetworkAccess =
    (raw.publicNetworkAccess as PublicNetworkAccess | undefined) ??
    (context.production && !firewallRules ? "Disabled" : "Enabled");
  const networkDefaultAction: NetworkDefaultAction =
    (raw.networkDefaultAction as NetworkDefaultAction | undefined) ??
    (context.production || firewallRules ? "Deny" : "Allow");
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

  return {
    existing,
    name,
    resourceGroupName: existing?.resourceGroupName ?? (settings.resourceGroupName as string),
    url: vaultUrl(name, dnsSuffix as string),
    sku: (raw.sku as VaultSku | undefined) ?? "standard",
    publicNetworkAccess,
    networkDefaultAction,
    allowedIpRanges,
    subnetIds,
  };
}

function resolveDiagnostics(
  raw: Record<string, unknown>,
  context: SettingsContext,
  problems: Problems,
): ResolvedAzureSettings["diagnostics"] {
  const path = "azure.diagnostics";
  checkKeys(raw, DIAGNOSTICS_KEYS, path, problems);
  if (raw.workspaceId !== undefined) {
    checkArmId(raw.workspaceId, "Microsoft.OperationalInsights/workspaces", `${path}.workspaceId`, problems);
    problems.check(
      raw.retentionDays === undefined,
      `${path}.retentionDays`,
      "applies to a workspace this stack creates; with workspaceId retention is the workspace's own",
    );
  }
  if (raw.retentionDays !== undefined)
    checkRetentionDays(raw.retentionDays, `${path}.retentionDays`, problems);
  if (raw.actionGroupId !== undefined) {
    checkArmId(raw.actionGroupId, "Microsoft.Insights/actionGroups", `${path}.actionGroupId`, problems);
  } else if (context.production) {
    problems.add(
      `${path}.actionGroupId`,
      "is required in production: failed secret reads must page someone (the checklist's alerting on failed lookups)",
    );
  }
  if (raw.failedReadThreshold !== undefined) {
    problems.check(
      Number.isInteger(raw.failedReadThreshold) && (raw.failedReadThreshold as number) >= 0,
      `${path}.failedReadThreshold`,
      `must be a whole number ≥ 0 (got ${JSON.stringify(raw.failedReadThreshold)})`,
    );
  }
  return {
    workspaceId: raw.workspaceId as string | undefined,
    retentionDays: (raw.retentionDays as number | undefined) ?? (context.production ? 365 : 90),
    actionGroupId: raw.actionGroupId as string | undefined,
    failedReadThreshold: (raw.failedReadThreshold as number | undefined) ?? 0,
  };
}

function resolveRotation(
  raw: Record<string, unknown>,
  problems: Problems,
): ResolvedAzureSettings["rotation"] {
  const path = "azure.rotation";
  checkKeys(raw, ROTATION_KEYS, path, problems);
  oneOf(raw.plan, ["consumption", "premium"] as const, `${path}.plan`, problems);
  if (raw.subnetId !== undefined) {
    checkArmId(raw.subnetId, "Microsoft.Network/virtualNetworks/subnets", `${path}.subnetId`, problems);
    problems.check(
      raw.plan !== "consumption",
      `${path}.plan`,
      "consumption (Linux Y1) has no VNet integration; use premium with subnetId",
    );
  }
  return {
    plan: (raw.plan as RotationPlan | undefined) ?? (raw.subnetId !== undefined ? "premium" : "consumption"),
    subnetId: raw.subnetId as string | undefined,
  };
}
