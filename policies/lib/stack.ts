/** Which stack a resource belongs to, read from its URN, and whether that stack is production. */

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

/**
 * The environments a stack name can stand for: the name itself and each leading part before a
 * `-`, `_` or `.` (`prod-gcp` → `prod`, `prod-gcp`), so regional or per-cloud stacks of an
 * environment (`prod-eu`, `prod-gcp`) count as that environment.
 */
export function environmentsOf(stack: string): string[] {
  const found: string[] = [];
  const delimiter = /[-_.]/g;
  let match: RegExpExecArray | null;
  while ((match = delimiter.exec(stack)) !== null) {
    if (match.index > 0) found.push(stack.slice(0, match.index));
  }
  found.push(stack);
  return found;
}

export function isProduction(urn: string, productionEnvironments: readonly string[]): boolean {
  return environmentsOf(stackOf(urn)).some((env) => productionEnvironments.includes(env));
}

/** `env` as one delimited segment of `text` (`airflow/prod/x`, `airflow-prod-x`, `db.prod.internal`). */
export function segmentPattern(env: string, flags = "i"): RegExp {
  return new RegExp(`(^|[^A-Za-z0-9])${escapeRegExp(env)}([^A-Za-z0-9]|$)`, flags);
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
