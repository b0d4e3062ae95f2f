/**
 * The shape of `airflow-secrets:azure` in a stack file, described once: types, enums, ranges,
 * patterns and what each default is. `settings.ts` parses with it (through the core kit) and then
 * applies the defaults that depend on the environment and the rules that span fields. Messages
 * never quote the value: a secret pasted into the wrong field is not printed back.
 */
import { z } from "zod";
import { existingReference } from "../core/existing";
import { renamedKeys } from "../core/schema";
import { MAX_EXPIRY_DAYS, MIN_EXPIRY_DAYS } from "./expiry";
import { VAULT_NAME_RULE, parseArmId } from "./naming";

export const MIN_RETENTION_DAYS = 30;
export const MAX_RETENTION_DAYS = 730;
/**
 * In production no firewall range may be wider than this prefix: `0.0.0.0/0` (or two `/1` halves)
 * opens the vault to the whole internet, and no single organisation egresses from more than a /8.
 */
export const PRODUCTION_MIN_IP_PREFIX = 8;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VAULT_NAME = /^[A-Za-z](?:[A-Za-z0-9-]{1,22})[A-Za-z0-9]$/;
const IPV4_OR_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;
/** Control characters (newlines, tabs): Azure stores them, but they break every tool that reads tags back. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A pattern check that stops there, so a refinement after it does not report the same value twice. */
const pattern = (regex: RegExp, message: string) => z.string().regex(regex, { message, abort: true });

const guid = (what: string) =>
  pattern(GUID, `must be ${what}: a GUID like 00000000-0000-0000-0000-000000000000`);

/** A resource id of `providerType`, e.g. `Microsoft.KeyVault/vaults`, matched case-insensitively as ARM does. */
export function armId(providerType: string) {
  const [provider, ...types] = providerType.split("/");
  const example = `/subscriptions/{subscription}/resourceGroups/{group}/providers/${provider}/${types.join("/{name}/")}/{name}`;
  return z.string().refine((value) => parseArmId(value, providerType) !== undefined, {
    message: `must be the resource id of a ${providerType} resource, e.g. ${example}`,
  });
}

/** IPv4 prefix length of an address or CIDR the firewall takes (an address is a /32). */
export function ipPrefix(value: string): number {
  const match = IPV4_OR_CIDR.exec(value);
  return match?.[5] === undefined ? 32 : Number(match[5]);
}

/** Public IPv4 address or CIDR with prefix 0-30, as the Key Vault firewall accepts them. */
export const ipRange = () =>
  z
    .string()
    .regex(IPV4_OR_CIDR, {
      message:
        "must be an IPv4 address or CIDR range like 203.0.113.0/24; Key Vault firewalls take no IPv6 and no wildcards",
      abort: true,
    })
    .refine(
      (value) => {
        const match = IPV4_OR_CIDR.exec(value);
        return match !== null && match.slice(1, 5).every((o) => Number(o) <= 255 && String(Number(o)) === o);
      },
      {
        message:
          "must be an IPv4 address or CIDR range like 203.0.113.0/24; Key Vault firewalls take no IPv6 and no wildcards",
        abort: true,
      },
    )
    .refine((value) => {
      const [a, b] = value.split(".").map(Number);
      return !(a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168));
    }, "Key Vault IP rules take public addresses only, not private (RFC 1918) ones: let a private network in through subnetIds (service endpoint) or a private endpoint")
    .refine(
      (value) => !value.includes("/") || ipPrefix(value) <= 30,
      "Key Vault refuses /31 and /32 ranges: list the single address instead",
    );

/** The OIDC issuer must be https: Entra fetches its discovery document to trust the cluster's tokens. */
export const issuerUrl = () =>
  z
    .string()
    .regex(/^https:\/\/[^/?#@\s]+(\/[^?#\s]*)?$/, {
      message:
        "must be the cluster's https OIDC issuer URL, e.g. https://westeurope.oic.prod-aks.azure.com/{tenant}/{guid}/",
      abort: true,
    })
    .refine((value) => {
      try {
        const url = new URL(value);
        return url.protocol === "https:" && url.hostname !== "" && !url.search && !url.hash && !url.username;
      } catch {
        return false;
      }
    }, "must be the cluster's https OIDC issuer URL, e.g. https://westeurope.oic.prod-aks.azure.com/{tenant}/{guid}/");

export const retentionDays = () => z.number().int().min(MIN_RETENTION_DAYS).max(MAX_RETENTION_DAYS);

const prefix = pattern(
  /^[A-Za-z0-9_-]+$/,
  "may contain only letters, digits, _ and - (Key Vault names allow nothing else; AzureKeyVaultBackend turns _ into -)",
);

/**
 * `existing:` with every child commented out is YAML null: absent, like every other block here.
 * (`existingReference` is optional only; `.describe` again because a wrapper does not carry it.)
 */
const nullableExisting = <Shape extends z.ZodRawShape>(shape: Shape, description: string) =>
  existingReference(shape, description).nullable().describe(description);

/**
 * Old key → new path, without a prototype: the kit looks a misspelt key up by name, and a key such as
 * `constructor` must not find Object's.
 */
const renames = (entries: Record<string, string>): Record<string, string> =>
  Object.assign(Object.create(null) as Record<string, string>, entries);

const vaultBlock = z.strictObject({
  existing: nullableExisting(
    { id: armId("Microsoft.KeyVault/vaults").describe("The vault's resource id.") },
    "Bring your own vault: `existing: { id: <resource id> }` (RBAC authorization required); nothing on it is changed. Excludes name, sku and the network settings.",
  ),
  name: pattern(VAULT_NAME, VAULT_NAME_RULE)
    .refine((value) => !value.includes("--"), VAULT_NAME_RULE)
    .optional()
    .describe(
      "Vault name (globally unique). Default `kv-airflow-{env}-{5 hex}` from project, stack and group.",
    ),
  sku: z
    .enum(["standard", "premium"])
    .optional()
    .describe("`standard`, or `premium` for HSM-backed keys. Default standard."),
  publicNetworkAccess: z
    .enum(["Enabled", "Disabled"])
    .optional()
    .describe(
      "Default `Disabled` (private endpoints only), `Enabled` when allowedIpRanges or subnetIds are listed. The same default as the AirflowKeyVault component's.",
    ),
  networkDefaultAction: z
    .enum(["Allow", "Deny"])
    .optional()
    .describe(
      "Firewall default of the public endpoint. Default `Deny`; production refuses `Allow` with public access Enabled.",
    ),
  allowedIpRanges: z
    .array(ipRange())
    .nullish()
    .describe(
      "Public IPv4 addresses or CIDR ranges /0-/30 allowed through the firewall; production refuses ranges wider than /8.",
    ),
  subnetIds: z
    .array(armId("Microsoft.Network/virtualNetworks/subnets"))
    .nullish()
    .describe("Subnets allowed through the firewall (with the Microsoft.KeyVault service endpoint)."),
  dnsSuffix: pattern(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, "must be a DNS suffix like vault.azure.net")
    .optional()
    .describe(
      "Data-plane DNS suffix (`vault.azure.cn`, `vault.usgovcloudapi.net`). Default `vault.azure.net`.",
    ),
});
renamedKeys.add(vaultBlock, renames({ existingId: "existing.id" }));

export const vaultSchema = vaultBlock
  .nullish()
  .describe("The Key Vault: created, or brought with `existing`.");

const diagnosticsBlock = z.strictObject({
  existing: nullableExisting(
    {
      workspaceId: armId("Microsoft.OperationalInsights/workspaces").describe(
        "The Log Analytics workspace's resource id.",
      ),
    },
    "Bring your own Log Analytics workspace: `existing: { workspaceId: <resource id> }`; otherwise one is created.",
  ),
  retentionDays: retentionDays()
    .optional()
    .describe("Retention of a created workspace (not with `existing`). Default 90, 365 in production."),
  actionGroupId: armId("Microsoft.Insights/actionGroups")
    .optional()
    .describe("Action group paged when secret reads fail. Required in production."),
  failedReadThreshold: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("Failed secret reads tolerated per 5-minute window. Default 0."),
});
renamedKeys.add(diagnosticsBlock, renames({ workspaceId: "existing.workspaceId" }));

export const diagnosticsSchema = diagnosticsBlock
  .nullish()
  .describe("Audit logs to Log Analytics and the failed-read alert.");

export const rotationSchema = z
  .strictObject({
    plan: z
      .enum(["consumption", "premium"])
      .optional()
      .describe(
        "`consumption` (Linux Y1, no VNet) or `premium` (Elastic Premium EP1). Default consumption, premium with subnetId.",
      ),
    subnetId: armId("Microsoft.Network/virtualNetworks/subnets")
      .optional()
      .describe(
        "VNet integration subnet (delegated to Microsoft.Web/serverFarms); needs plan premium. Required when the vault is closed and a connection rotates.",
      ),
  })
  .nullish()
  .describe("The rotation function (only deployed when a connection declares rotation).");

export const layoutSchema = z
  .strictObject({
    connectionsPrefix: prefix.optional().describe("Default `airflow-{env}-connections`."),
    variablesPrefix: prefix.optional().describe("Default `airflow-{env}-variables`."),
    configPrefix: prefix.optional().describe("Default `airflow-{env}-config`."),
    sep: pattern(/^[A-Za-z0-9_-]*$/, "may contain only letters, digits, _ and -")
      .optional()
      .describe("Default `-`."),
  })
  .nullish()
  .describe("Overrides of the contract's Key Vault layout.");

/** Azure's tag value rule; names are checked in `settings.ts` (Zod reports record keys without their path). */
const tagValue = z
  .string()
  .regex(/^[^\u0000-\u001f\u007f]*$/, "tag values may not contain control characters such as newlines")
  .max(256);

/** `airflow-secrets:azure`. */
export const settingsSchema = z
  .strictObject({
    location: pattern(/^[a-z][a-z0-9]{1,39}$/, "must be an Azure region name like westeurope").describe(
      "Azure region. Required.",
    ),
    resourceGroupName: pattern(
      /^[-\w.()]{0,89}[-\w()]$/,
      'must be a resource group name: 1-90 letters, digits, _ . - ( ), not ending with "."',
    )
      .refine(
        (value) => !value.endsWith("."),
        'must be a resource group name: 1-90 letters, digits, _ . - ( ), not ending with "."',
      )
      .describe("Existing resource group every created resource goes into. Required."),
    tenantId: guid("the Entra tenant id").optional().describe("Entra tenant. Default the provider's."),
    vault: vaultSchema,
    aksOidcIssuerUrl: issuerUrl()
      .optional()
      .describe(
        "The AKS cluster's OIDC issuer URL (`az aks show --query oidcIssuerProfile.issuerUrl`). Required on Kubernetes; refused with `kubernetes: false`, where the identity gets no federated credential and is assigned to Airflow's host instead.",
      ),
    secretExpiryDays: z
      .number()
      .int()
      .min(MIN_EXPIRY_DAYS)
      .max(MAX_EXPIRY_DAYS)
      .optional()
      .describe(
        `Days from the start of the current quarter until non-rotated secrets expire (${MIN_EXPIRY_DAYS}-${MAX_EXPIRY_DAYS}). Default 365. Not with secretExpiresOn.`,
      ),
    secretExpiresOn: pattern(/^\d{4}-\d{2}-\d{2}$/, "must be a date written YYYY-MM-DD")
      .optional()
      .describe("Fixed expiry date (YYYY-MM-DD, in the future) instead of secretExpiryDays."),
    ciWriterPrincipalId: guid("the CI principal's object id")
      .optional()
      .describe("Object id of the CI principal that may write (never read) secrets. Default none."),
    ciWriterPrincipalType: z
      .enum(["ServicePrincipal", "User", "Group"])
      .optional()
      .describe("Kind of that principal (needs ciWriterPrincipalId). Default ServicePrincipal."),
    diagnostics: diagnosticsSchema,
    rotation: rotationSchema,
    layout: layoutSchema,
    tags: z
      .record(z.string(), tagValue)
      .nullish()
      .describe(
        "Extra tags on every resource that takes tags (names 1-512 characters without < > % & \\ ? / or control characters, not starting with microsoft, azure or windows; at most 12 with the added ones).",
      ),
  })
  .describe("Azure Key Vault backend settings (`airflow-secrets:azure`).");

/** What a stack file or a TypeScript caller may write. */
export type AzureSettingsSchemaInput = z.input<typeof settingsSchema>;
/** What the schema hands to `resolve`. */
export type AzureParsedSettings = z.output<typeof settingsSchema>;

/** Azure's tag name rule (record keys are checked here, with their own path). */
export function tagNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 512) return "tag names are 1-512 characters";
  if (/[<>%&\\?/]/.test(name)) return "tag names may not contain < > % & \\ ? /";
  if (CONTROL.test(name)) return "tag names may not contain control characters such as newlines";
  if (/^(microsoft|azure|windows)/i.test(name))
    return "tag names starting with microsoft, azure or windows are reserved by Azure";
  return undefined;
}
