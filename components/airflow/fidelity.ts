/**
 * What Airflow changes when it reads a value back, stated once. Validation refuses a declaration
 * these functions say would come back different; each rule cites the Airflow code it mirrors.
 */

/**
 * `Connection._normalize_conn_type` (airflow/models/connection.py, 2.10 and 3.x): `postgresql`
 * becomes `postgres`, every `-` becomes `_`; `urlsplit` lower-cases a URI scheme. The canonical
 * spelling is the one every backend and format reads back unchanged.
 */
export function canonicalConnType(connType: string): string {
  const lower = connType.toLowerCase();
  return lower === "postgresql" ? "postgres" : lower.replace(/-/g, "_");
}

/**
 * Whether `host` survives `_parse_netloc_to_hostname(urlsplit(uri))` in the URI form: `.hostname`
 * lower-cases ASCII letters (percent-escaped non-ASCII is untouched), except when the unquoted host
 * contains `/`, where Airflow takes the netloc verbatim.
 */
export function hostSurvivesUri(host: string): boolean {
  return !/[A-Z]/.test(host) || host.includes("/");
}

/**
 * `expand_env_var` (airflow/configuration.py) runs `os.path.expandvars` and `os.path.expanduser`
 * on every `AIRFLOW__SECTION__OPTION` value until it stops changing: `$NAME` / `${NAME}` (ASCII
 * `\w+`, posixpath `_varprog`) is replaced when NAME is set, and a leading `~` by a home directory.
 * Whether NAME is set is only known on the pod, so any such value is refused.
 */
export function changedByEnvExpansion(value: string): boolean {
  return /\$(?:[A-Za-z0-9_]|\{[^}]*\})/.test(value) || value.startsWith("~");
}

/** A string with an unpaired UTF-16 surrogate has no UTF-8 form: no store can hold it as given. */
export function hasLoneSurrogate(value: string): boolean {
  // Most values hold no surrogate at all: one scan for any, the pairing rule only when there is one.
  return (
    ANY_SURROGATE.test(value) &&
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)
  );
}

const ANY_SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Why `value` would not come back from JSON as the same value (undefined when it would): JSON has
 * no NaN/Infinity (JSON.stringify writes null), drops undefined and functions, and cannot write
 * bigint; object keys are strings already.
 */
export function jsonProblem(value: unknown, depth = 0): string | undefined {
  if (depth > 64) return "is nested more than 64 levels deep";
  if (value === null || typeof value === "boolean") return undefined;
  if (typeof value === "string")
    return hasLoneSurrogate(value) ? "contains an unpaired UTF-16 surrogate" : undefined;
  if (typeof value === "number")
    return Number.isFinite(value) ? undefined : "contains a non-finite number (JSON writes it as null)";
  if (Array.isArray(value)) {
    for (const item of value) {
      const p = jsonProblem(item, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
      return "contains an object that is not plain JSON (a class instance)";
    for (const key of Object.keys(value)) {
      if (hasLoneSurrogate(key)) return "has a key with an unpaired UTF-16 surrogate";
      const p = jsonProblem((value as Record<string, unknown>)[key], depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  return `contains a ${typeof value}, which JSON cannot hold`;
}
