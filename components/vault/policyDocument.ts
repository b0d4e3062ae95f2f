/**
 * Vault ACL policies as data. A `VaultPolicyDocument` is built from typed rules, validated against the
 * paths one environment may touch, and only then rendered to HCL: no policy text is ever assembled
 * by hand, so a path cannot smuggle a quote, a template sequence or another environment into it.
 */
import { Problems } from "../airflow";

/** Every capability Vault's ACL policies know (`vault/policy.go`). */
export const VAULT_CAPABILITIES = [
  "create",
  "read",
  "update",
  "patch",
  "delete",
  "list",
  "sudo",
  "deny",
  "subscribe",
  "recover",
] as const;
export type VaultCapability = (typeof VAULT_CAPABILITIES)[number];

export interface VaultPolicyRule {
  /** Vault API path: exact, ending in `*` (prefix glob) or with `+` segments (one-segment wildcard). */
  path: string;
  capabilities: VaultCapability[];
  /** Why the rule exists; rendered as a comment above it. */
  description?: string;
}

export interface VaultPolicyDocument {
  /** Vault policy name. */
  name: string;
  rules: VaultPolicyRule[];
}

/**
 * Where a policy may point. `prefixes` are literal segment lists a rule path must extend by at least
 * one more segment (e.g. `airflow/data/staging`); `exactPaths` may be named only exactly.
 */
export interface PolicyScope {
  /** Human description used in messages, e.g. `environment "staging"`. */
  label: string;
  prefixes: readonly string[];
  exactPaths?: readonly string[];
  /** Capabilities rules in this scope may grant (defaults to all but sudo, subscribe and recover). */
  allowedCapabilities?: readonly VaultCapability[];
  /** Prefixes (literal) under which a capability is forbidden, e.g. no `read` on data for the writer. */
  forbidden?: ReadonlyArray<{ prefix: string; capability: VaultCapability; reason: string }>;
}

const DEFAULT_ALLOWED: readonly VaultCapability[] = VAULT_CAPABILITIES.filter(
  (c) => c !== "sudo" && c !== "subscribe" && c !== "recover",
);
/** Characters a policy path may hold: no quotes, backslashes, template markers (`${`, `%{`) or spaces. */
const PATH_CHARS = /^[A-Za-z0-9_.\-/@:#!()+*]+$/;
const POLICY_NAME = /^[a-z0-9][a-z0-9_.-]{0,127}$/;

/** Checks a rule path's own syntax: globs only where Vault honours them, no `.`/`..`/empty segments. */
function checkPathSyntax(path: string, field: string, problems: Problems): boolean {
  if (!problems.check(typeof path === "string" && path.length > 0, field, "is required")) return false;
  if (!problems.check(PATH_CHARS.test(path), field, `may only hold letters, digits and _.-/@:#!()+*`))
    return false;
  const body = path.endsWith("*") ? path.slice(0, -1) : path;
  const segments = body.split("/");
  const lastIsPartial = segments[segments.length - 1] === "" && path.endsWith("*");
  const segmentsOk = segments.every(
    (s, i) => (s !== "" || (lastIsPartial && i === segments.length - 1)) && s !== "." && s !== "..",
  );
  return (
    problems.check(!path.startsWith("/"), field, `must not start with "/"`) &&
    problems.check(segmentsOk, field, `must not contain empty, "." or ".." segments`) &&
    problems.check(!body.includes("*"), field, `"*" is a glob only at the very end of a path`) &&
    problems.check(
      segments.every((s) => !s.includes("+") || s === "+") && !path.includes("+*"),
      field,
      `"+" is a wildcard only as a whole segment, and Vault refuses "+*"`,
    )
  );
}

/** Whether `path` stays inside `scope`; adds a problem naming the escape otherwise. */
function checkInScope(path: string, scope: PolicyScope, field: string, problems: Problems): boolean {
  if (scope.exactPaths?.includes(path)) return true;
  const segments = path.split("/");
  // A prefix's segments must all match literally and the path must go at least one segment deeper,
  // so `+` or a partial glob can never stand in for the environment segment itself.
  const inside = scope.prefixes.some((prefix) => {
    const literal = prefix.split("/");
    return segments.length > literal.length && literal.every((segment, i) => segments[i] === segment);
  });
  const allowed = [
    ...scope.prefixes.map((p) => `"${p}/…"`),
    ...(scope.exactPaths ?? []).map((p) => `"${p}"`),
  ];
  return problems.check(
    inside,
    field,
    `is outside ${scope.label}: it must extend one of ${allowed.join(", ")} (another environment, a wildcard or a glob broader than the environment is refused)`,
  );
}

/**
 * Adds every problem with `rules` to `problems`: unknown or disallowed capabilities, path syntax, and
 * any path outside `scope`. `field` names the list (`policies.extraReaderRules`).
 */
export function validatePolicyRules(
  rules: readonly VaultPolicyRule[],
  scope: PolicyScope,
  problems: Problems,
  field: string,
): void {
  if (!problems.check(Array.isArray(rules), field, "must be a list of {path, capabilities} rules")) return;
  const allowed = scope.allowedCapabilities ?? DEFAULT_ALLOWED;
  rules.forEach((rule, i) => {
    const ruleField = `${field}[${i}]`;
    if (checkPathSyntax(rule?.path, `${ruleField}.path`, problems))
      checkInScope(rule.path, scope, `${ruleField}.path`, problems);
    if (
      !problems.check(
        Array.isArray(rule?.capabilities) && rule.capabilities.length > 0,
        `${ruleField}.capabilities`,
        "must list at least one capability",
      )
    ) {
      return;
    }
    for (const capability of rule.capabilities) {
      if (!(VAULT_CAPABILITIES as readonly string[]).includes(capability)) {
        problems.add(
          `${ruleField}.capabilities`,
          `"${capability}" is not a Vault capability (known: ${VAULT_CAPABILITIES.join(", ")})`,
        );
      } else if (!allowed.includes(capability)) {
        problems.add(
          `${ruleField}.capabilities`,
          `"${capability}" is not allowed in ${scope.label} policies (allowed: ${allowed.join(", ")})`,
        );
      }
    }
    for (const forbidden of scope.forbidden ?? []) {
      if (
        rule.capabilities.includes(forbidden.capability) &&
        typeof rule.path === "string" &&
        overlaps(rule.path, forbidden.prefix)
      ) {
        problems.add(
          `${ruleField}.capabilities`,
          `"${forbidden.capability}" under "${forbidden.prefix}/…" is refused: ${forbidden.reason}`,
        );
      }
    }
  });
}

/** Adds a problem unless `name` is a valid Vault policy name. */
export function validatePolicyName(name: string, problems: Problems, field: string): void {
  problems.check(
    typeof name === "string" && POLICY_NAME.test(name),
    field,
    `must be a Vault policy name: lowercase letters, digits, _ . -, at most 128`,
  );
}

/** Whether a rule path can match anything under the literal `prefix`. */
function overlaps(path: string, prefix: string): boolean {
  const body = path.endsWith("*") ? path.slice(0, -1) : path;
  const pathSegments = body.split("/");
  const prefixSegments = prefix.split("/");
  for (let i = 0; i < prefixSegments.length; i++) {
    const segment = pathSegments[i];
    if (segment === undefined) return path.endsWith("*");
    if (segment === "+") continue;
    if (i === pathSegments.length - 1 && path.endsWith("*")) return prefixSegments[i].startsWith(segment);
    if (segment !== prefixSegments[i]) return false;
  }
  return true;
}

/** An HCL string literal: JSON escaping plus HCL's own template markers doubled. */
function hclString(value: string): string {
  return JSON.stringify(value).replace(/\$\{/g, "$${").replace(/%\{/g, "%%{");
}

/** Renders a (validated) document as HCL, one `path` block per rule, in the document's order. */
export function renderPolicyHcl(document: VaultPolicyDocument): string {
  const blocks = document.rules.map((rule) => {
    const comment = rule.description
      ? rule.description
          .split("\n")
          .map((line) => `# ${line}\n`)
          .join("")
      : "";
    const capabilities = rule.capabilities.map(hclString).join(", ");
    return `${comment}path ${hclString(rule.path)} {\n  capabilities = [${capabilities}]\n}\n`;
  });
  return `# Vault policy ${document.name} (managed by airflow-secrets; edit the stack, not this text)\n\n${blocks.join("\n")}`;
}
