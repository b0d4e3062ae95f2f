/** The verdict of `airflow-secrets check`: violations grouped by policy, with the resource and the fix. */
import type { EnforcementLevel, Policy } from "@pulumi/policy";
import type { Analysis, PolicyConfigMap, Violation } from "./crossguard";

export interface CheckReport {
  stack: string;
  configFile: string;
  resourceCount: number;
  /** True when no violation is mandatory (advisory ones and remediations do not fail the check). */
  passed: boolean;
  policies: PolicyOutcome[];
}

export interface PolicyOutcome {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  remediationSteps?: string;
  status: "violated" | "remediated" | "passed" | "not-applicable" | "disabled";
  violations: Array<{ enforcementLevel: EnforcementLevel; message: string; urn?: string; resource?: string }>;
  remediations: Array<{ urn: string; resource: string; changes: string[] }>;
  notApplicableReason?: string;
}

/** `type "name"` from a URN (`urn:pulumi:stack::project::parent$type::name`). */
export function resourceLabel(urn: string): string {
  const parts = urn.split("::");
  const type = (parts[2] ?? "").split("$").pop();
  return `${type} "${parts.slice(3).join("::")}"`;
}

export function buildReport(
  meta: { stack: string; configFile: string; resourceCount: number },
  policies: readonly Policy[],
  analysis: Analysis,
  config: PolicyConfigMap,
  packEnforcementLevel: EnforcementLevel,
): CheckReport {
  const outcomes = policies.map((p): PolicyOutcome => {
    const level = config[p.name]?.enforcementLevel ?? p.enforcementLevel ?? packEnforcementLevel;
    const violations = analysis.violations
      .filter((v) => v.policy === p.name)
      .map((v: Violation) => ({
        enforcementLevel: v.enforcementLevel,
        message: v.message,
        urn: v.urn,
        resource: v.urn && resourceLabel(v.urn),
      }));
    const remediations = analysis.remediations
      .filter((r) => r.policy === p.name)
      .map((r) => ({ urn: r.urn, resource: resourceLabel(r.urn), changes: r.changes }));
    // A stack policy that called notApplicable() once speaks for the whole stack.
    const stackNotApplicable = analysis.notApplicable.find((n) => n.policy === p.name && n.urn === undefined);
    const status: PolicyOutcome["status"] =
      level === "disabled"
        ? "disabled"
        : violations.length > 0
          ? "violated"
          : remediations.length > 0
            ? "remediated"
            : stackNotApplicable
              ? "not-applicable"
              : "passed";
    return {
      name: p.name,
      description: p.description,
      enforcementLevel: level,
      remediationSteps: p.remediationSteps,
      status,
      violations,
      remediations,
      ...(stackNotApplicable?.reason ? { notApplicableReason: stackNotApplicable.reason } : {}),
    };
  });
  return {
    ...meta,
    passed: !analysis.violations.some((v) => v.enforcementLevel === "mandatory"),
    policies: outcomes,
  };
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line) => prefix + line)
    .join("\n");
}

export function reportText(report: CheckReport): string {
  const lines: string[] = [
    `Policy check of stack ${report.stack} (${report.configFile}): ${report.resourceCount} resources, ${report.policies.length} policies`,
  ];
  const violated = report.policies.filter((p) => p.status === "violated");
  const order = (p: PolicyOutcome) => (p.violations.some((v) => v.enforcementLevel === "mandatory") ? 0 : 1);
  for (const p of [...violated].sort((a, b) => order(a) - order(b))) {
    const mandatory = p.violations.some((v) => v.enforcementLevel === "mandatory");
    lines.push(
      "",
      `${mandatory ? "FAIL" : "WARN"} ${p.name} [${mandatory ? "mandatory" : "advisory"}]: ${p.violations.length} violation${p.violations.length === 1 ? "" : "s"}`,
      indent(p.description, "     "),
    );
    for (const v of p.violations) {
      lines.push(`   - ${v.resource ?? `stack ${report.stack}`}`, indent(v.message, "       "));
    }
    if (p.remediationSteps) lines.push("     fix:", indent(p.remediationSteps, "       "));
  }
  for (const p of report.policies.filter((o) => o.remediations.length > 0)) {
    lines.push(
      "",
      `FIXED ${p.name} [remediate]: pulumi changes ${p.remediations.length} resource${p.remediations.length === 1 ? "" : "s"} before storing them`,
      indent(p.description, "     "),
    );
    for (const r of p.remediations) lines.push(`   - ${r.resource}`, ...r.changes.map((c) => `       ${c}`));
    if (p.remediationSteps) lines.push("     fix the program:", indent(p.remediationSteps, "       "));
  }
  const named = (status: PolicyOutcome["status"]) => report.policies.filter((p) => p.status === status);
  lines.push("");
  if (named("passed").length > 0)
    lines.push(
      `passed: ${named("passed")
        .map((p) => p.name)
        .join(", ")}`,
    );
  for (const p of named("not-applicable"))
    lines.push(`not applicable: ${p.name} (${p.notApplicableReason ?? "no matching resources"})`);
  if (named("disabled").length > 0)
    lines.push(
      `disabled by policy config: ${named("disabled")
        .map((p) => p.name)
        .join(", ")}`,
    );
  const mandatory = violated.filter((p) => p.violations.some((v) => v.enforcementLevel === "mandatory"));
  const advisoryCount = report.policies
    .flatMap((p) => p.violations)
    .filter((v) => v.enforcementLevel !== "mandatory").length;
  const mandatoryCount = report.policies
    .flatMap((p) => p.violations)
    .filter((v) => v.enforcementLevel === "mandatory").length;
  lines.push(
    report.passed
      ? `Result: PASS (${advisoryCount} advisory violation${advisoryCount === 1 ? "" : "s"})`
      : `Result: FAIL, ${mandatoryCount} mandatory violation${mandatoryCount === 1 ? "" : "s"} (${mandatory.map((p) => p.name).join(", ")}), ${advisoryCount} advisory`,
  );
  return lines.join("\n") + "\n";
}

export function reportJson(report: CheckReport): string {
  return JSON.stringify(report, null, 2) + "\n";
}
