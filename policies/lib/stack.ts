/** Which stack a resource belongs to, read from its URN (for messages and the pack config; names never decide production). */

/** `urn:pulumi:<stack>::<project>::<type chain>::<name>` → `<stack>`. */
export function stackOf(urn: string): string {
  const match = /^urn:pulumi:([^:]+)::/.exec(urn);
  if (!match) throw new Error(`not a Pulumi URN: "${urn}"`);
  return match[1];
}

/** `urn:pulumi:s::p::parent$child::name` → `["parent", "child"]` (component types enclosing it, then its own). */
export function typeChainOf(urn: string): string[] {
  const parts = urn.split("::");
  return parts.length >= 4 ? parts[2].split("$") : [];
}

/** `env` as one delimited segment of `text` (`airflow/prod/x`, `airflow-prod-x`, `db.prod.internal`). */
export function segmentPattern(env: string, flags = "i"): RegExp {
  return new RegExp(`(^|[^A-Za-z0-9])${escapeRegExp(env)}([^A-Za-z0-9]|$)`, flags);
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
