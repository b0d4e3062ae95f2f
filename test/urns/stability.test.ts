/**
 * Every URN a shipped or accepted stack file had when the baseline was recorded (before the backend
 * refactor, commit 0d4b0e7) is still answered by exactly one resource: unchanged, or through an alias,
 * computed as the engine computes them (whole parent type chains; children inherit their parent's aliases). Record a new baseline only for a deliberate,
 * documented replacement: AIRFLOW_SECRETS_RECORD_URNS=1 npx jest test/urns.
 */
import {
  engineUrns,
  readBaseline,
  synthesizedResources,
  urnCases,
  urnsWithAliases,
  writeBaseline,
} from "./urns";

const RECORD = process.env.AIRFLOW_SECRETS_RECORD_URNS === "1";
// Stack files added after the baseline was recorded have nothing to keep.
const cases = urnCases().filter(({ name }) => RECORD || readBaseline(name) !== undefined);

test("there are stack files to check", () => {
  expect(cases.length).toBeGreaterThanOrEqual(30);
});

describe.each(cases)("$name", ({ name, file }) => {
  test("every baseline URN is unchanged or aliased, and answered once", async () => {
    const resources = await synthesizedResources(file);
    expect(resources.length).toBeGreaterThan(0);
    if (RECORD) writeBaseline(name, [...engineUrns(resources).values()]);
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
