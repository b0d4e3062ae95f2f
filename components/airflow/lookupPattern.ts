/**
 * Airflow applies `*_lookup_pattern` with `re.match(pattern, id, re.IGNORECASE)`: anchored at the
 * start only. The generated pattern anchors both ends and escapes every id, so the backend is asked
 * for exactly the declared ids, never a prefix or an extension of one.
 */

/** Escapes every ASCII character that is not a letter, digit or `_`; valid in Python's `re`. */
export function escapeForPythonRe(id: string): string {
  return id.replace(/[^\p{L}\p{N}_]/gu, (ch) => (ch.charCodeAt(0) < 128 ? `\\${ch}` : ch));
}

/**
 * A pattern matching exactly `ids` (case-insensitively, as Airflow applies it); no ids matches nothing.
 * Anchored with `\Z`, not `$`: Python's `$` also matches before a trailing newline.
 */
export function exactLookupPattern(ids: readonly string[]): string {
  const unique = [...new Set(ids)].sort();
  if (unique.length === 0) return "(?!)";
  return `^(?:${unique.map(escapeForPythonRe).join("|")})\\Z`;
}
