/**
 * Airflow applies `*_lookup_pattern` with `re.match(pattern, id, re.IGNORECASE)` (amazon provider,
 * `SecretsManagerBackend._get_secret` / `SystemsManagerParameterStoreBackend._get_secret`): anchored
 * at the start only, and case-insensitive. The generated pattern anchors both ends, escapes every id
 * and turns IGNORECASE off inside a scoped `(?-i:…)` group (Python ≥ 3.6), so the store is asked for
 * exactly the declared ids: never a prefix, an extension or a case variant (`WAREHOUSE` for
 * `warehouse`), each of which would otherwise cost one API call.
 */

/** Escapes every ASCII character that is not a letter, digit or `_`; valid in Python's `re`. */
export function escapeForPythonRe(id: string): string {
  return id.replace(/[^\p{L}\p{N}_]/gu, (ch) => (ch.charCodeAt(0) < 128 ? `\\${ch}` : ch));
}

/**
 * A pattern matching exactly `ids`, case included, under Airflow's `re.IGNORECASE`; no ids matches
 * nothing. Anchored with `\Z`, not `$`: Python's `$` also matches before a trailing newline.
 */
export function exactLookupPattern(ids: readonly string[]): string {
  const unique = [...new Set(ids)].sort();
  if (unique.length === 0) return "(?!)";
  return `^(?-i:${unique.map(escapeForPythonRe).join("|")})\\Z`;
}
