/** The Python grammar is found through module resolution, not relative to the working directory. */
import * as os from "os";

describe("grammar loading", () => {
  const originalDirectory = process.cwd();
  afterEach(() => process.chdir(originalDirectory));

  it("parses DAG files when run from another directory", async () => {
    process.chdir(os.tmpdir());
    // A fresh module registry, so the grammar is loaded now, from the temporary directory.
    await jest.isolateModulesAsync(async () => {
      const { lintDagSource } = await import("../../cli/lintDags");
      const found = await lintDagSource('from airflow.models import Variable\nVariable.get("x")\n', "dag.py");
      expect(found.map((f) => `${f.rule} ${f.line}:${f.column}`)).toEqual(["AS001 2:1"]);
    });
  });
});
