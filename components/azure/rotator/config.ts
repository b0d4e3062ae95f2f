/**
 * What the rotator function is told about the secrets it rotates, passed as one JSON app setting.
 * Pulumi-free: bundled into the function.
 */
export const ROTATION_CONFIG_SETTING = "AIRFLOW_ROTATION_CONFIG";
/** The function's name inside the app; Event Grid delivers to `{app}/functions/{name}`. */
export const ROTATOR_FUNCTION_NAME = "RotateSecret";
/** The Key Vault events the subscription delivers (Expired is the second chance for a lost NearExpiry). */
export const ROTATION_EVENT_TYPES = [
  "Microsoft.KeyVault.SecretNearExpiry",
  "Microsoft.KeyVault.SecretExpired",
] as const;

/** Tag on the journal naming the version its pending credential replaces. */
export const JOURNAL_VERSION_TAG = "rotation-of-version";
/** What a journal holds while no rotation is in flight. */
export const IDLE_JOURNAL_VALUE = JSON.stringify({ state: "idle" });

export interface RotatedSecretConfig {
  strategy: "single-user" | "alternating-users";
  everyDays: number;
  /** Journal secret holding the pending credential while a rotation is in flight. */
  journalName: string;
  /** Secret with the master credential (alternating users). */
  masterName?: string;
}

export interface RotationConfig {
  /** `https://{vault}.vault.azure.net/`. */
  vaultUrl: string;
  /**
   * The audience of the managed identity token, `https://{dnsSuffix}` (`https://vault.azure.cn` in
   * Azure China, `https://vault.usgovcloudapi.net` in US Government). Default the public cloud's.
   */
  tokenResource?: string;
  /** Rotated secrets by stored name (lower-cased: Key Vault names are case-insensitive). */
  secrets: Record<string, RotatedSecretConfig>;
}

export function parseRotationConfig(text: string | undefined): RotationConfig {
  if (!text) throw new Error(`${ROTATION_CONFIG_SETTING} is not set`);
  const parsed = JSON.parse(text) as RotationConfig;
  // Plain http only for a loopback emulator (tests); a real vault is always https.
  if (
    typeof parsed.vaultUrl !== "string" ||
    !/^(https:\/\/|http:\/\/(127\.0\.0\.1|localhost)[:/])/.test(parsed.vaultUrl)
  ) {
    throw new Error(`${ROTATION_CONFIG_SETTING}.vaultUrl must be the vault's https URL`);
  }
  if (parsed.tokenResource !== undefined && !/^https:\/\/[a-z0-9.-]+$/.test(parsed.tokenResource))
    throw new Error(`${ROTATION_CONFIG_SETTING}.tokenResource must be https://{vault DNS suffix}`);
  if (parsed.secrets === null || typeof parsed.secrets !== "object")
    throw new Error(`${ROTATION_CONFIG_SETTING}.secrets must be an object`);
  return parsed;
}
