/**
 * Every URN a shipped or accepted stack file had when the baseline was recorded is still answered by
 * exactly one resource: unchanged, or through an alias. Record a new baseline only for a deliberate,
 * documented replacement: AIRFLOW_SECRETS_RECORD_URNS=1 npx jest test/urns.
 */
import { readBaseline, synthesizedResources, urnCases, urnsWithAliases, writeBaseline } from "./urns";

const RECORD = process.env.AIRFLOW_SECRETS_RECORD_URNS === "1";
const cases = urnCases();

test("there are stack files to check", () => {
  expect(cases.length).toBeGreaterThanOrEqual(30);
});

describe.each(cases)("$name", ({ name, file }) => {
  test("every baseline URN is unchanged or aliased, and answered once", async () => {
    const resources = await synthesizedResources(file);
    expect(resources.length).toBeGreaterThan(0);
    if (RECORD)
      writeBaseline(
        name,
        resources.map((r) => r.urn),
      );
    const baseline = readBaseline(name);
    expect(baseline).toBeDefined();
    expect(baseline!.length).toBeGreaterThan(0);
    const answers = urnsWithAliases(resources);
    const unanswered: string[] = [];
    const twice: string[] = [];
    for (const old of baseline!) {
      const claimants = [...answers.entries()].filter(([, names]) => names.has(old));
      if (claimants.length === 0) unanswered.push(old);
      if (claimants.length > 1) twice.push(`${old} ← ${claimants.map(([urn]) => urn).join(", ")}`);
    }
    expect(unanswered).toEqual([]);
    expect(twice).toEqual([]);
  });
});
