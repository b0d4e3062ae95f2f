import { RotationError } from "../errors";

/** PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently truncated by the server. */
export const POSTGRES_MAX_IDENTIFIER_BYTES = 63;

function rejectNul(value: string, what: string): void {
  // A NUL cannot travel in the protocol and libpq would cut the string there: refuse instead.
  if (value.includes("\0")) throw new RotationError("INVALID_FIELD", `${what} contains a NUL character`);
}

/** `"name"` with every `"` doubled, so any role name (spaces, quotes, upper case) is taken literally. */
export function quoteIdentifier(name: string): string {
  rejectNul(name, "identifier");
  if (name.length === 0) throw new RotationError("INVALID_FIELD", "identifier is empty");
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A string literal correct whatever `standard_conforming_strings` is: `'` doubled; if a backslash
 * occurs, the escape-string form `E'…'` with `\` doubled too (what libpq's PQescapeLiteral does).
 */
export function quoteLiteral(value: string): string {
  rejectNul(value, "string literal");
  const quoted = value.replace(/'/g, "''");
  return value.includes("\\") ? `E'${quoted.replace(/\\/g, "\\\\")}'` : `'${quoted}'`;
}
