import { randomInt } from "crypto";
import { RotationError } from "./errors";

/** The character classes a generated password draws from (printable ASCII, no space). */
export const PASSWORD_CHARACTER_CLASSES = {
  lowercase: "abcdefghijklmnopqrstuvwxyz",
  uppercase: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  digits: "0123456789",
  punctuation: "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
} as const;

/**
 * Excluded unless configured otherwise: quotes, backslash and backtick break shell and config-file
 * quoting, `/` and `@` break hand-written URIs. The rotation itself copes with every character.
 */
export const DEFAULT_EXCLUDED_CHARACTERS = "\"'\\/@`";
export const DEFAULT_PASSWORD_LENGTH = 32;
/** Same bounds as Secrets Manager's GetRandomPassword. */
export const MAX_PASSWORD_LENGTH = 4096;

export interface PasswordOptions {
  /** Number of characters, 1–4096. Default 32. */
  length?: number;
  /** Characters never used. Default {@link DEFAULT_EXCLUDED_CHARACTERS}; `""` excludes nothing. */
  excludeCharacters?: string;
  /**
   * Require at least one character of every class that still has characters after exclusions
   * (only possible when `length` ≥ the number of such classes). Default true.
   */
  requireEachClass?: boolean;
}

/**
 * A password drawn uniformly from the allowed characters with a CSPRNG (`crypto.randomInt` rejects
 * out-of-range draws, so there is no modulo bias). The class requirement is met by drawing again
 * until it holds, which keeps the result uniform over all passwords that satisfy it — placing one
 * character per class and shuffling would not.
 */
export function generatePassword(options: PasswordOptions = {}): string {
  const length = options.length ?? DEFAULT_PASSWORD_LENGTH;
  if (!Number.isInteger(length) || length < 1 || length > MAX_PASSWORD_LENGTH) {
    throw new RotationError(
      "INVALID_CONFIG",
      `password length must be an integer from 1 to ${MAX_PASSWORD_LENGTH} (got ${length})`,
    );
  }
  const excluded = new Set(options.excludeCharacters ?? DEFAULT_EXCLUDED_CHARACTERS);
  const classes = Object.values(PASSWORD_CHARACTER_CLASSES)
    .map((chars) => [...chars].filter((ch) => !excluded.has(ch)).join(""))
    .filter((chars) => chars.length > 0);
  const pool = classes.join("");
  if (pool.length === 0) {
    throw new RotationError(
      "INVALID_CONFIG",
      "the excluded characters leave nothing to build a password from",
    );
  }
  const mustCoverClasses = (options.requireEachClass ?? true) && length >= classes.length;
  for (;;) {
    let password = "";
    for (let i = 0; i < length; i++) password += pool[randomInt(pool.length)];
    if (!mustCoverClasses || classes.every((chars) => [...password].some((ch) => chars.includes(ch)))) {
      return password;
    }
  }
}
