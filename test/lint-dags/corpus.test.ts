/**
 * Every DAG in test/fixtures/dags must produce exactly the findings recorded for it in
 * expected.json (rule, line, column), and every fixture must be recorded there.
 */
import { promises as fs, readFileSync } from "fs";
import * as path from "path";
import { lintDagSource } from "../../cli/lintDags";

const FIXTURES = path.join(__dirname, "..", "fixtures", "dags");

interface ExpectedFinding {
  line: number;
  column: number;
  rule: string;
}

const expected: Record<string, ExpectedFinding[]> = JSON.parse(
  readFileSync(path.join(FIXTURES, "expected.json"), "utf8"),
);

/** The corpus as it is on disk, walked here rather than by the code under test. */
async function pythonFilesUnder(directory: string): Promise<string[]> {
  const entries = await fs.readdir(directory, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) return pythonFilesUnder(full);
      return entry.name.endsWith(".py") ? [full] : [];
    }),
  );
  return nested.flat();
}

function relativeName(file: string): string {
  return path.relative(FIXTURES, file).split(path.sep).join("/");
}

describe("the DAG corpus", () => {
  it("has an expectation for every fixture and a fixture for every expectation", async () => {
    const onDisk = (await pythonFilesUnder(FIXTURES)).map(relativeName).sort();
    expect(onDisk).toEqual(Object.keys(expected).sort());
    expect(onDisk.length).toBeGreaterThanOrEqual(22);
  });

  it("covers every rule, clean files and files with problems", () => {
    const rules = new Set(
      Object.values(expected).flatMap((findings) => findings.map((finding) => finding.rule)),
    );
    expect([...rules].sort()).toEqual(["AS001", "AS002", "AS003", "AS004", "AS900", "AS901"]);
    expect(Object.values(expected).filter((findings) => findings.length === 0).length).toBeGreaterThanOrEqual(
      4,
    );
  });

  it.each(Object.keys(expected))("%s produces exactly its expected findings", async (name) => {
    const file = path.join(FIXTURES, name);
    const findings = await lintDagSource(await fs.readFile(file), file);
    expect(findings.map(({ line, column, rule }) => ({ line, column, rule }))).toEqual(expected[name]);
    for (const finding of findings) {
      expect(finding.file).toBe(file);
      expect(finding.message.length).toBeGreaterThan(20);
    }
  });
});
