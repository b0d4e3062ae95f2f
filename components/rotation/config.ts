/**
 * The configuration every rotator shares — the AWS Lambda, the GCP Cloud Function and the Azure
 * Function — written by its Pulumi component and read by its runtime: how passwords are generated and,
 * per rotated secret, the strategy and the master connection's secret. Each cloud extends it with its
 * own fields (endpoint, project, vault, journal, …) and its own transport (environment variables on
 * AWS, one JSON setting on GCP and Azure). Bundled into every rotator: plain checks, no schema library.
 */
import { RotationError } from "./errors";
import {
  DEFAULT_EXCLUDED_CHARACTERS,
  DEFAULT_PASSWORD_LENGTH,
  MAX_PASSWORD_LENGTH,
  type PasswordOptions,
} from "./password";
import { isRotationStrategy, ROTATION_STRATEGIES, type RotationStrategy } from "./strategy";

/** How a rotator generates the passwords it sets. */
export interface RotatorPasswordPolicy {
  /** Characters, 1–4096. */
  length: number;
  /** Characters never generated; `""` excludes nothing. */
  excludeCharacters: string;
}

/** One rotated secret, as every rotator sees it. */
export interface RotatedSecretCore {
  strategy: RotationStrategy;
  /**
   * The master connection's secret in the cloud's own terms (AWS: ARN, GCP: secret id, Azure: secret
   * name). Alternating users log in with it to change the other login.
   */
  master?: string;
}

export interface RotatorConfigCore {
  password: RotatorPasswordPolicy;
}

/** The component side: the policy a rotator gets from user options, with the rotation core's defaults. */
export function rotatorPasswordPolicy(
  options?: Pick<PasswordOptions, "length" | "excludeCharacters">,
): RotatorPasswordPolicy {
  return {
    length: options?.length ?? DEFAULT_PASSWORD_LENGTH,
    excludeCharacters: options?.excludeCharacters ?? DEFAULT_EXCLUDED_CHARACTERS,
  };
}

/**
 * Collects every problem of one configuration source so a broken deployment fails on its first event
 * with all of them at once, as INVALID_CONFIG. Messages name fields, never values.
 */
export class RotatorConfigProblems {
  private readonly items: string[] = [];

  constructor(
    /** The setting or environment the configuration came from, e.g. `AIRFLOW_ROTATION_CONFIG`. */
    readonly source: string,
  ) {}

  add(path: string, rule: string): void {
    this.items.push(`${path} ${rule}`);
  }

  throwIfAny(): void {
    if (this.items.length > 0)
      throw new RotationError("INVALID_CONFIG", `${this.source} is invalid: ${this.items.join("; ")}`);
  }
}

/** Parses a JSON setting into an object, or throws INVALID_CONFIG naming the setting. */
export function parseRotatorConfigJson(source: string, text: string | undefined): Record<string, unknown> {
  if (text === undefined || text === "") throw new RotationError("INVALID_CONFIG", `${source} is not set`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RotationError("INVALID_CONFIG", `${source} is not valid JSON`);
  }
  if (!isRecord(value)) throw new RotationError("INVALID_CONFIG", `${source} must be a JSON object`);
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A password policy; absent fields take the rotation core's defaults. */
export function readPasswordPolicy(
  value: unknown,
  path: string,
  problems: RotatorConfigProblems,
  /** Where each field came from, when not `${path}.<field>` (AWS: one environment variable each). */
  fieldPaths: { length: string; excludeCharacters: string } = {
    length: `${path}.length`,
    excludeCharacters: `${path}.excludeCharacters`,
  },
): RotatorPasswordPolicy {
  if (value === undefined) return rotatorPasswordPolicy();
  if (!isRecord(value)) {
    problems.add(path, "must be an object");
    return rotatorPasswordPolicy();
  }
  const { length, excludeCharacters } = value;
  if (
    length !== undefined &&
    !(typeof length === "number" && Number.isInteger(length) && length >= 1 && length <= MAX_PASSWORD_LENGTH)
  )
    problems.add(fieldPaths.length, `must be an integer from 1 to ${MAX_PASSWORD_LENGTH}`);
  if (excludeCharacters !== undefined && typeof excludeCharacters !== "string")
    problems.add(fieldPaths.excludeCharacters, "must be a string");
  return rotatorPasswordPolicy({
    length: typeof length === "number" ? length : undefined,
    excludeCharacters: typeof excludeCharacters === "string" ? excludeCharacters : undefined,
  });
}

export function readStrategy(
  value: unknown,
  path: string,
  problems: RotatorConfigProblems,
): RotationStrategy {
  if (isRotationStrategy(value)) return value;
  problems.add(path, `must be one of ${ROTATION_STRATEGIES.join(", ")}`);
  return "single-user";
}

/**
 * One rotated secret's strategy and master. `masterRequired`: the cloud has no other place to find the
 * master of an alternating-users secret (GCP, Azure); AWS may also read it from the secret itself.
 */
export function readRotatedSecret(
  value: unknown,
  path: string,
  problems: RotatorConfigProblems,
  options: { masterRequired: boolean },
): RotatedSecretCore {
  if (!isRecord(value)) {
    problems.add(path, "must be an object");
    return { strategy: "single-user" };
  }
  const strategy = readStrategy(value.strategy, `${path}.strategy`, problems);
  const { master } = value;
  if (master !== undefined && (typeof master !== "string" || master === ""))
    problems.add(`${path}.master`, "must be a non-empty string");
  if (options.masterRequired && strategy === "alternating-users" && master === undefined)
    problems.add(`${path}.master`, "is required for alternating-users");
  return typeof master === "string" && master !== "" ? { strategy, master } : { strategy };
}

/** The `secrets` map of a JSON config: each entry read by `readEntry`, keyed as given. */
export function readSecretsMap<T>(
  value: unknown,
  path: string,
  problems: RotatorConfigProblems,
  readEntry: (entry: unknown, entryPath: string) => T,
): Record<string, T> {
  if (!isRecord(value)) {
    problems.add(path, "must be an object");
    return {};
  }
  // A null-prototype map: a secret named `__proto__` or `constructor` is looked up, not inherited.
  const secrets = Object.create(null) as Record<string, T>;
  for (const [key, entry] of Object.entries(value)) secrets[key] = readEntry(entry, `${path}.${key}`);
  return secrets;
}
