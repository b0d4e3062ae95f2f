/**
 * Azure resource names this backend derives or accepts, and the ARM id shapes it parses. Pure: the
 * vault name (and so Airflow's `vault_url`) is known at plan time, before any resource exists.
 */
import { createHash } from "crypto";
import { Problems } from "../airflow";

/** Key Vault's own name rule (globally unique DNS label). */
export const VAULT_NAME_RULE =
  "Key Vault names are 3-24 letters, digits and -, start with a letter, end with a letter or digit and contain no --";
const VAULT_NAME = /^[A-Za-z](?:[A-Za-z0-9-]{1,22})[A-Za-z0-9]$/;

export function checkVaultName(name: unknown, path: string, problems: Problems): boolean {
  const ok = typeof name === "string" && VAULT_NAME.test(name) && !name.includes("--");
  return problems.check(ok, path, `${VAULT_NAME_RULE} (got ${JSON.stringify(name)})`);
}

/** Public-cloud DNS suffix of vault data-plane endpoints. */
export const DEFAULT_VAULT_DNS_SUFFIX = "vault.azure.net";

/** What Airflow's `vault_url` kwarg and the rotator's client take: `https://{name}.{suffix}/`. */
export function vaultUrl(vaultName: string, dnsSuffix = DEFAULT_VAULT_DNS_SUFFIX): string {
  return `https://${vaultName.toLowerCase()}.${dnsSuffix}/`;
}

/** A short, stable hex digest: the same inputs always give the same suffix. */
export function stableSuffix(parts: readonly string[], length: number): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, length);
}

/**
 * `kv-airflow-{env}-{suffix}`: the environment is shortened (never leaving `--` or a trailing `-`)
 * so the name fits 24 characters; the suffix, a digest of project, stack, resource group and
 * environment, keeps two stacks from asking for the same global name.
 */
export function defaultVaultName(environment: string, uniqueness: readonly string[]): string {
  const suffix = stableSuffix([...uniqueness, environment], 5);
  const budget = 24 - "kv-airflow-".length - 1 - suffix.length;
  const env = environment.replace(/-+/g, "-").slice(0, budget).replace(/-+$/, "");
  return env ? `kv-airflow-${env}-${suffix}` : `kv-airflow-${suffix}`;
}

/** Storage account names: 3-24 lowercase letters and digits, globally unique. */
export function defaultStorageAccountName(environment: string, uniqueness: readonly string[]): string {
  const suffix = stableSuffix([...uniqueness, environment, "rotator"], 6);
  const env = environment.replace(/[^a-z0-9]/g, "").slice(0, 24 - "stafrot".length - suffix.length);
  return `stafrot${env}${suffix}`;
}

/** Function app names are DNS labels under azurewebsites.net: 2-60 letters, digits and -. */
export function defaultFunctionAppName(environment: string, uniqueness: readonly string[]): string {
  return `func-airflow-rotator-${environment}-${stableSuffix([...uniqueness, environment, "func"], 6)}`;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkGuid(value: unknown, path: string, problems: Problems, what: string): boolean {
  return problems.check(
    typeof value === "string" && GUID.test(value),
    path,
    `must be ${what}: a GUID like 00000000-0000-0000-0000-000000000000 (got ${JSON.stringify(value)})`,
  );
}

/** Resource group names: 1-90 letters, digits, _ . - ( ), not ending with a period. */
export function checkResourceGroupName(value: unknown, path: string, problems: Problems): boolean {
  const ok = typeof value === "string" && /^[-\w.()]{1,90}$/.test(value) && !value.endsWith(".");
  return problems.check(
    ok,
    path,
    `must be a resource group name: 1-90 letters, digits, _ . - ( ), not ending with "." (got ${JSON.stringify(value)})`,
  );
}

/** Parsed `/subscriptions/{s}/resourceGroups/{rg}/providers/{provider}/{type}/{name}[/...]`. */
export interface ArmId {
  id: string;
  subscriptionId: string;
  resourceGroupName: string;
  name: string;
}

/**
 * Parses an ARM id of the given provider type (e.g. `Microsoft.KeyVault/vaults`), matched
 * case-insensitively as ARM does. Nested types (`Microsoft.Network/virtualNetworks/subnets`) name
 * every segment pair.
 */
export function parseArmId(value: unknown, providerType: string): ArmId | undefined {
  if (typeof value !== "string") return undefined;
  const [provider, ...types] = providerType.split("/");
  const typed = types.map((t) => `/${escapeRegExp(t)}/([^/]+)`).join("");
  const re = new RegExp(
    `^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/${escapeRegExp(provider)}${typed}$`,
    "i",
  );
  const match = re.exec(value);
  if (!match) return undefined;
  return { id: value, subscriptionId: match[1], resourceGroupName: match[2], name: match[match.length - 1] };
}

export function checkArmId(
  value: unknown,
  providerType: string,
  path: string,
  problems: Problems,
): ArmId | undefined {
  const parsed = parseArmId(value, providerType);
  const [provider, ...types] = providerType.split("/");
  const example = `/subscriptions/{subscription}/resourceGroups/{group}/providers/${provider}/${types.join("/{name}/")}/{name}`;
  problems.check(
    parsed !== undefined,
    path,
    `must be the resource id of a ${providerType} resource, e.g. ${example} (got ${JSON.stringify(value)})`,
  );
  return parsed;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
