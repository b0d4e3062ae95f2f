/**
 * What the rotator function is told about the secrets it rotates, passed as one JSON app setting: the
 * rotators' shared core (password policy; per secret, strategy and master secret name) plus the vault
 * and each secret's journal and cadence. Pulumi-free: bundled into the function.
 */
import {
  parseRotatorConfigJson,
  readPasswordPolicy,
  readRotatedSecret,
  readSecretsMap,
  RotatorConfigProblems,
  type RotatedSecretCore,
  type RotatorConfigCore,
} from "../../rotation/config";

export const ROTATION_CONFIG_SETTING = "AIRFLOW_ROTATION_CONFIG";
/** The function's name inside the app; Event Grid delivers to `{app}/functions/{name}`. */
export const ROTATOR_FUNCTION_NAME = "RotateSecret";
/** The Key Vault events the subscription delivers (Expired is the second chance for a lost NearExpiry). */
export const ROTATION_EVENT_TYPES = [
  "Microsoft.KeyVault.SecretNearExpiry",
  "Microsoft.KeyVault.SecretExpired",
] as const;

/** One rotated secret; the core's `master` is the name of the secret with the master credential. */
export interface RotatedSecretConfig extends RotatedSecretCore {
  /** Days between rotations: a new version expires `everyDays` plus the near-expiry lead after it is written. */
  everyDays: number;
  /** The journal holding the pending credential while a rotation is in flight: a blob of `journals.containerUrl`. */
  journalName: string;
}

/** Where journals live: a blob container the rotator's identity owns (see `journal.ts`). */
export interface JournalsConfig {
  /** `https://{account}.blob.core.windows.net/rotation-journals`. */
  containerUrl: string;
  /** Token audience of the storage account. Default `https://storage.azure.com`. */
  tokenResource?: string;
}

export interface RotationConfig extends RotatorConfigCore {
  /** `https://{vault}.vault.azure.net/`. */
  vaultUrl: string;
  /**
   * The audience of the managed identity token, `https://{dnsSuffix}` (`https://vault.azure.cn` in
   * Azure China, `https://vault.usgovcloudapi.net` in US Government). Default the public cloud's.
   */
  tokenResource?: string;
  /** Rotated secrets by stored name (lower-cased: Key Vault names are case-insensitive). */
  secrets: Record<string, RotatedSecretConfig>;
  /** The journal container (the stack writes it with the function's package, in one update). */
  journals: JournalsConfig;
}

/** Plain http only for a loopback emulator (tests); a real endpoint is always https. */
const SERVICE_URL = /^(https:\/\/|http:\/\/(127\.0\.0\.1|localhost)[:/])/;
const TOKEN_RESOURCE = /^https:\/\/[a-z0-9.-]+$/;

export function parseRotationConfig(text: string | undefined): RotationConfig {
  const value = parseRotatorConfigJson(ROTATION_CONFIG_SETTING, text);
  const problems = new RotatorConfigProblems(ROTATION_CONFIG_SETTING);
  const { vaultUrl, tokenResource, journals } = value;
  if (typeof vaultUrl !== "string" || !SERVICE_URL.test(vaultUrl))
    problems.add("vaultUrl", "must be the vault's https URL");
  if (
    tokenResource !== undefined &&
    (typeof tokenResource !== "string" || !TOKEN_RESOURCE.test(tokenResource))
  )
    problems.add("tokenResource", "must be https://{vault DNS suffix}");
  const journalsValue = (journals ?? {}) as { containerUrl?: unknown; tokenResource?: unknown };
  if (journals === undefined || journals === null || typeof journals !== "object" || Array.isArray(journals))
    problems.add("journals", "must be an object with the journal container's URL");
  else {
    if (typeof journalsValue.containerUrl !== "string" || !SERVICE_URL.test(journalsValue.containerUrl))
      problems.add("journals.containerUrl", "must be the journal container's https URL");
    if (
      journalsValue.tokenResource !== undefined &&
      (typeof journalsValue.tokenResource !== "string" || !TOKEN_RESOURCE.test(journalsValue.tokenResource))
    )
      problems.add("journals.tokenResource", "must be https://{storage audience}");
  }
  const secrets = readSecretsMap(value.secrets, "secrets", problems, (entry, path): RotatedSecretConfig => {
    const core = readRotatedSecret(entry, path, problems, { masterRequired: true });
    const { everyDays, journalName } = (entry ?? {}) as { everyDays?: unknown; journalName?: unknown };
    if (typeof everyDays !== "number" || !Number.isInteger(everyDays) || everyDays < 1)
      problems.add(`${path}.everyDays`, "must be a whole number of days");
    if (typeof journalName !== "string" || journalName === "")
      problems.add(`${path}.journalName`, "must be a journal name");
    return { ...core, everyDays: everyDays as number, journalName: journalName as string };
  });
  const password = readPasswordPolicy(value.password, "password", problems);
  problems.throwIfAny();
  return {
    vaultUrl: vaultUrl as string,
    ...(tokenResource !== undefined ? { tokenResource: tokenResource as string } : {}),
    secrets,
    password,
    journals: {
      containerUrl: journalsValue.containerUrl as string,
      ...(journalsValue.tokenResource !== undefined
        ? { tokenResource: journalsValue.tokenResource as string }
        : {}),
    },
  };
}
