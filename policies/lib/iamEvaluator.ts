/**
 * A small evaluator of AWS identity policies, enough to answer "may this principal call action A
 * on resource R": explicit deny wins, then any allow, else implicit deny; Action/NotAction and
 * Resource/NotResource with `*` and `?` wildcards (actions case-insensitive, ARNs case-sensitive).
 *
 * Conditions are not evaluated and the answer leans towards "allowed": an Allow with a condition
 * counts as granting, a Deny with a condition as not denying. A pack that misses a grant is worse
 * than one that asks for a narrower statement.
 *
 * Why not @cloud-copilot/iam-simulate at run time: it is a development dependency of the library,
 * and the pack ships with only its own dependencies; test/policies/iamEvaluator.test.ts holds this
 * evaluator to the simulator's verdicts on generated documents.
 */
import { iamStatements } from "./iamPolicyDocument";

export type Decision = "allowed" | "explicitDeny" | "implicitDeny";

function globToRegExp(pattern: string, flags: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, flags);
}

export function actionMatches(pattern: string, action: string): boolean {
  return globToRegExp(pattern, "i").test(action);
}

export function resourceMatches(pattern: string, resource: string): boolean {
  return globToRegExp(pattern, "").test(resource);
}

interface Statement {
  effect: string;
  actions: string[];
  notActions: boolean;
  resources: string[];
  notResources: boolean;
  conditional: boolean;
}

function statementsOf(document: unknown): Statement[] {
  return iamStatements(document) ?? [];
}

function applies(s: Statement, action: string, resource: string): boolean {
  const actionHit = s.actions.some((a) => actionMatches(a, action));
  const resourceHit = s.resources.some((r) => resourceMatches(r, resource));
  return (s.notActions ? !actionHit : actionHit) && (s.notResources ? !resourceHit : resourceHit);
}

/** The verdict of the identity policies `documents` (JSON strings or objects) for one request. */
export function decide(documents: readonly unknown[], action: string, resource: string): Decision {
  const statements = documents.flatMap(statementsOf);
  if (statements.some((s) => s.effect === "Deny" && !s.conditional && applies(s, action, resource))) {
    return "explicitDeny";
  }
  return statements.some((s) => s.effect === "Allow" && applies(s, action, resource))
    ? "allowed"
    : "implicitDeny";
}
