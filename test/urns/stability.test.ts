/**
 * Every URN a shipped or accepted stack file had when the baseline was recorded (before the backend
 * refactor, commit 0d4b0e7) is still answered by exactly one resource: unchanged, or through an alias,
 * computed as the engine computes them (whole parent type chains; children inherit their parent's aliases),
 * unless `removed.ts` lists it as removed on purpose (and then it really is gone). Record a new baseline only for a deliberate,
 * documented replacement: AIRFLOW_SECRETS_RECORD_URNS=1 npx jest test/urns.
 */
import { REMOVED_URNS, removalOf } from "./removed";
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
    const removedButAnswered: string[] = [];
    for (const old of baseline!) {
      const claimants = [...answers.entries()].filter(([, names]) => names.has(old));
      const removed = removalOf(old) !== undefined;
      if (claimants.length === 0 && !removed) unanswered.push(old);
      if (claimants.length > 0 && removed) removedButAnswered.push(old);
      if (claimants.length > 1) twice.push(`${old} ← ${claimants.map(([urn]) => urn).join(", ")}`);
    }
    expect(unanswered).toEqual([]);
    expect(twice).toEqual([]);
    // An entry of removed.ts that matches a URN still answered is wrong: the list must be exact.
    expect(removedButAnswered).toEqual([]);
  });
});

test("every URN removed on purpose was in a baseline: each entry of removed.ts matches one", () => {
  const baselines = urnCases().flatMap(({ name }) => readBaseline(name) ?? []);
  expect(baselines.length).toBeGreaterThan(0);
  expect(REMOVED_URNS.length).toBeGreaterThan(0);
  const unmatched = REMOVED_URNS.filter((entry) => !baselines.some((urn) => removalOf(urn) === entry));
  expect(unmatched.map((e) => `${e.type} ${e.name}`)).toEqual([]);
  for (const entry of REMOVED_URNS) expect(entry.reason.length).toBeGreaterThan(20);
});
