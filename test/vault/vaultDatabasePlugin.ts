/**
 * Runs database statement templates the way Vault's PostgreSQL plugin does, so tests can execute the
 * real templates against a real server: every statement is split on `;` (unless it is a multi-line
 * block containing END), `{{name}}`/`{{username}}`/`{{password}}`/`{{expiration}}` are replaced as
 * plain text, and all pieces run in one transaction. Usernames, passwords and the expiration format
 * follow Vault's defaults.
 */
import { randomInt } from "crypto";
import { Client } from "pg";

/** Go's `2006-01-02 15:04:05-0700`, in UTC: e.g. `2026-11-23 17:00:00+0000`. */
export function vaultExpiration(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}+0000`
  );
}

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = LOWER.toUpperCase();
const DIGITS = "0123456789";
const pick = (alphabet: string) => alphabet[randomInt(alphabet.length)];

/** Vault's default password policy: 20 characters of A-Z a-z 0-9 -, at least one of each class. */
export function vaultPassword(): string {
  const all = LOWER + UPPER + DIGITS + "-";
  const chars = [pick(LOWER), pick(UPPER), pick(DIGITS), "-"];
  while (chars.length < 20) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join("");
}

/** Vault's default username: `v-{display name ≤8}-{role ≤8}-{20 random}-{unix time}`, at most 63. */
export function vaultUsername(displayName: string, roleName: string): string {
  const random = Array.from({ length: 20 }, () => pick(LOWER + UPPER + DIGITS)).join("");
  return `v-${displayName.slice(0, 8)}-${roleName.slice(0, 8)}-${random}-${Math.floor(Date.now() / 1000)}`.slice(
    0,
    63,
  );
}

/** Vault's QueryHelper: each `{{key}}` replaced by its value, as plain text. */
export function substitute(template: string, values: Record<string, string>): string {
  return Object.entries(values).reduce(
    (text, [key, value]) => text.split(`{{${key}}}`).join(value),
    template,
  );
}

/** The plugin's test for blocks that must not be split (a bare END outside quoted text). */
function isMultiline(statement: string): boolean {
  const withoutQuoted = statement.replace(/".*?"/g, "").replace(/'.*?'/g, "");
  return /\bEND\b/.test(withoutQuoted);
}

/** Executes `statements` as Vault would, in one transaction on `client` (Vault's connection user). */
export async function executeVaultStatements(
  client: Client,
  statements: readonly string[],
  values: Record<string, string>,
): Promise<void> {
  await client.query("BEGIN");
  try {
    for (const statement of statements) {
      const pieces = isMultiline(statement) ? [statement] : statement.split(";");
      for (const piece of pieces.map((p) => p.trim()).filter((p) => p.length > 0)) {
        await client.query(substitute(piece, values));
      }
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
}
