/**
 * The README's policy reference is what policies/lib/reference.ts renders from the policies' own
 * metadata. To refresh it: `UPDATE_POLICY_REFERENCE=1 npx jest test/policies/reference.test.ts`.
 */
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { policies } from "../../policies/policies";
import { REFERENCE_BEGIN, REFERENCE_END, renderPolicyReference } from "../../policies/lib/reference";
import { resolvePolicyConfig } from "../../cli/check/policyConfig";

const README = path.resolve(__dirname, "../../README.md");

describe("the README's policy reference", () => {
  it("is generated from every policy's metadata and up to date", () => {
    // As the README is kept: formatted by the project's prettier (run as its CLI: prettier 3 is ESM).
    const rendered = execFileSync(
      process.execPath,
      [require.resolve("prettier/bin/prettier.cjs"), "--stdin-filepath", README],
      { input: renderPolicyReference(policies), encoding: "utf8" },
    ).trimEnd();
    let text = fs.readFileSync(README, "utf8");
    const begin = text.indexOf(REFERENCE_BEGIN);
    const end = text.indexOf(REFERENCE_END);
    expect(begin).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(begin);
    if (process.env.UPDATE_POLICY_REFERENCE === "1") {
      text = text.slice(0, begin) + rendered + text.slice(end + REFERENCE_END.length);
      fs.writeFileSync(README, text);
    }
    const section = text.slice(
      text.indexOf(REFERENCE_BEGIN),
      text.indexOf(REFERENCE_END) + REFERENCE_END.length,
    );
    expect(section).toBe(rendered);
    for (const p of policies) expect(rendered).toMatch(new RegExp(`\\| \`${p.name}\` +\\|`));
  });

  it("documents only examples the pack's config validation accepts", () => {
    expect(policies.length).toBeGreaterThan(0);
    for (const p of policies) {
      expect(() =>
        resolvePolicyConfig(
          { [p.name]: { enforcementLevel: p.enforcementLevel, ...p.configExample } },
          policies,
        ),
      ).not.toThrow();
    }
  });
});
