/**
 * The hostile corpus through the CLI's synth, in process: every file is accepted or refused as its
 * manifest entry says, refusals name the field, nothing prints a stack trace or a marker secret.
 */
import { CorpusCase, manifest, mismatch, synthInProcess } from "./corpus";

jest.setTimeout(600_000);

const BACKENDS = ["env", "vault", "aws", "gcp", "azure"] as const;

describe("the hostile corpus", () => {
  it("holds at least 100 files across the five backends, each with an expected outcome", () => {
    expect(manifest.cases.length).toBeGreaterThanOrEqual(100);
    for (const backend of BACKENDS)
      expect(manifest.cases.filter((c) => c.backend === backend).length).toBeGreaterThanOrEqual(15);
    for (const c of manifest.cases) {
      expect(["accepted", "refused"]).toContain(c.expect);
      if (c.expect === "refused") expect(c.fields?.length ?? 0).toBeGreaterThan(0);
    }
    const kinds = new Set(manifest.cases.map((c) => c.kind));
    for (const kind of ["crash", "silently-accepted", "security", "leak", "two-defaults"])
      expect(kinds).toContain(kind);
  });

  const fixed = manifest.cases.filter((c) => c.knownGap === undefined);
  const gaps = manifest.cases.filter((c) => c.knownGap !== undefined);

  test.each(fixed.map((c): [string, CorpusCase] => [c.file, c]))("%s", async (_, c) => {
    const outcome = await synthInProcess(c.file);
    expect(mismatch(c, outcome)).toBeUndefined();
  });

  // A known gap must still fail: when the missing part lands, this fails until the manifest says so.
  const gapCases = gaps.map((c): [string, CorpusCase] => [`${c.file} (known gap: ${c.knownGap})`, c]);
  if (gapCases.length > 0)
    test.each(gapCases)("%s", async (_, c) => {
      const outcome = await synthInProcess(c.file);
      expect(mismatch(c, outcome)).toBeDefined();
    });
});
