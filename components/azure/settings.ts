/**
 * The Azure backend's settings (stack config `airflow-secrets:azure`). The shape is described once,
 * in `schema.ts`; `resolveAzureSettings` parses with it, then applies the defaults that depend on the
 * environment (vault name, production retention, the network default) and the rules that span
 * fields. The stack backend's prepare phase and the components' constructors both call it, so a bad
 * setting is reported with its path before anything is registered.
 */
import { Problems, SecretsLayout } from "../airflow";
import { addCrossFieldProblems, wellFormedParts } from "../core/partialSettings";
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

/**
 * Parses `raw` (path prefix `azure`) with the schema and applies defaults and cross-field rules.
 * Returns undefined when a problem was found; every problem is in `problems`.
 */
export function resolveAzureSettings(
  raw: unknown,
  context: SettingsContext,
  outer: Problems,
): ResolvedAzureSettings | undefined {
  const before = outer.list.length;
  if (raw === undefined || raw === null) {
    outer.add(
      "azure",
      "settings (airflow-secrets:azure) are required: a map with location, resourceGroupName and aksOidcIssuerUrl",
    );
    return undefined;
  }
  const parsed = parseSettings(settingsSchema, raw, "azure", outer);
  // A wrong shape somewhere still lets the cross-field rules judge the parts that are right (one pass).
  const s: Parsed | undefined = parsed ?? wellFormedParts(settingsSchema, raw);
  if (!s) return undefined;
  // Cross-field rules: a field the schema already refused is not judged again.
  const problems = new Problems();

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
  } else if (parsed) {
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
  }
  const allTags = {
    "managed-by": "airflow-secrets",
    "airflow-environment": context.environment,
    ...(context.owner ? { owner: context.owner } : {}),
    ...tags,
  };
  checkSecretTagCount(allTags, "azure.tags", problems);

  addCrossFieldProblems(outer, problems, before);
  if (outer.list.length > before || !parsed || !vault) return undefined;
  return {
    location: parsed.location,
    resourceGroupName: parsed.resourceGroupName,
    tenantId: parsed.tenantId,
    vault,
    aksOidcIssuerUrl: parsed.aksOidcIssuerUrl,
    expiry:
      expiry.expiresOn !== undefined
        ? { expiresOn: expiry.expiresOn }
        : { days: expiry.days ?? DEFAULT_EXPIRY_DAYS },
    ciWriter,
    diagnostics,
    rotation,
    layout: parsed.layout ? (parsed.layout as Partial<SecretsLayout>) : undefined,
    tags: allTags,
  };
}

/** Vault settings that shape a vault this stack creates: meaningless with `existingId`. */
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
  const dnsSuffix = raw.dnsSuffix ?? DEFAULT_VAULT_DNS_SUFFIX;

  let existing: ArmId | undefined;
  let name: string;
  if (raw.existingId !== undefined) {
    existing = parseArmId(raw.existingId, "Microsoft.KeyVault/vaults")!;
    for (const key of CREATED_VAULT_KEYS) {
      problems.check(
        raw[key] === undefined || raw[key] === null,
        `${path}.${key}`,
        "configures a vault this stack creates; with existingId the vault is yours and is not changed",
      );
    }
    name = existing.name;
    checkVaultName(name, `${path}.existingId`, problems);
  } else if (raw.name !== undefined) {
    name = raw.name;
  } else if (s.resourceGroupName !== undefined) {
    name = defaultVaultName(context.environment, [...context.uniqueness, s.resourceGroupName]);
    checkVaultName(name, `${path}.name`, problems);
  } else {
    return undefined;
  }

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
  if (context.production && existing === undefined) {
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
    existing,
    name,
    resourceGroupName: existing?.resourceGroupName ?? s.resourceGroupName ?? "",
    url: vaultUrl(name, dnsSuffix),
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
  if (raw.workspaceId !== undefined) {
    problems.check(
      raw.retentionDays === undefined,
      `${path}.retentionDays`,
      "applies to a workspace this stack creates; with workspaceId retention is the workspace's own",
    );
  }
  if (raw.actionGroupId === undefined && context.production) {
    problems.add(
      `${path}.actionGroupId`,
      "is required in production: failed secret reads must page someone (the checklist's alerting on failed lookups)",
    );
  }
  return {
    workspaceId: raw.workspaceId,
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
