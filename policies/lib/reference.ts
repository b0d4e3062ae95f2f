/**
 * The README's policy reference, rendered from each policy's own metadata (name, description,
 * resource types, enforcement level, config keys with their descriptions, defaults and an example),
 * so the documentation cannot drift from the pack: test/policies/reference.test.ts fails when the
 * README section differs from what this renders.
 */
import type { AirflowPolicy } from "./policy";

export const REFERENCE_BEGIN =
  "<!-- policy-reference:begin (generated from policies/*.ts; see policies/lib/reference.ts) -->";
export const REFERENCE_END = "<!-- policy-reference:end -->";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderPolicyReference(policies: readonly AirflowPolicy[]): string {
  const lines: string[] = [REFERENCE_BEGIN, ""];
  lines.push("| Policy | What it checks | Resource types | Enforcement |", "| --- | --- | --- | --- |");
  for (const p of policies) {
    lines.push(
      `| \`${p.name}\` | ${cell(p.description ?? "")} | ${p.resourceTypes.map((t) => `\`${cell(t)}\``).join(", ")} | ${p.enforcementLevel} |`,
    );
  }
  lines.push(
    "",
    "Settings, per policy (`pulumi preview --policy-pack-config FILE`, or `check --policy-config FILE`):",
    "",
  );
  for (const p of policies) {
    const properties = Object.entries(p.configSchema.properties);
    lines.push(`- \`${p.name}\`: ${properties.length === 0 ? "no settings." : ""}`);
    for (const [key, schema] of properties) {
      if (typeof schema !== "object") continue;
      const fallback = schema.default === undefined ? "" : ` Default \`${JSON.stringify(schema.default)}\`.`;
      lines.push(`  - \`${key}\`: ${cell(schema.description ?? "")}${fallback}`);
    }
    lines.push(
      `  - Example: \`${JSON.stringify({ [p.name]: { enforcementLevel: p.enforcementLevel, ...p.configExample } })}\``,
    );
  }
  lines.push("", REFERENCE_END);
  return lines.join("\n");
}
