/** `airflow-secrets lint-dags` as a command: arguments, output formats, exit codes, file discovery. */
import { promises as fs, readFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { runLintDags } from "../../cli/lintDags";

const FIXTURES = path.join(__dirname, "..", "fixtures", "dags");
const expected: Record<string, { line: number; column: number; rule: string }[]> = JSON.parse(
  readFileSync(path.join(FIXTURES, "expected.json"), "utf8"),
);

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runLintDags(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

/** `file:line:col RULE message`, parsed back. */
function parseTextLine(line: string): {
  file: string;
  line: number;
  column: number;
  rule: string;
  message: string;
} {
  const match = /^(.+):(\d+):(\d+) (AS\d{3}) (.+)$/.exec(line);
  if (!match) throw new Error(`not a finding line: ${line}`);
  return {
    file: match[1],
    line: Number(match[2]),
    column: Number(match[3]),
    rule: match[4],
    message: match[5],
  };
}

/** All expected findings under the fixture directory, in the documented order: file, then position. */
function expectedForWholeCorpus(): { file: string; line: number; column: number; rule: string }[] {
  return Object.entries(expected)
    .flatMap(([name, findings]) =>
      findings.map((finding) => ({ file: path.join(FIXTURES, name), ...finding })),
    )
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
}

const temporaryDirectories: string[] = [];

async function temporaryDirectory(): Promise<string> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), "lint-dags-"));
  temporaryDirectories.push(directory);
  return directory;
}

afterAll(() => Promise.all(temporaryDirectories.map((directory) => fs.rm(directory, { recursive: true }))));

describe("lint-dags output", () => {
  it("prints one sorted `file:line:col RULE message` line per finding for a whole directory", async () => {
    const { code, stdout, stderr } = await run([FIXTURES]);
    expect(stderr).toBe("");
    expect(code).toBe(1);
    expect(stdout.endsWith("\n")).toBe(true);
    const printed = stdout.trimEnd().split("\n").map(parseTextLine);
    expect(printed.map(({ file, line, column, rule }) => ({ file, line, column, rule }))).toEqual(
      expectedForWholeCorpus(),
    );
  });

  it("prints the same findings as a JSON array with --format json", async () => {
    const text = await run([FIXTURES]);
    const json = await run(["--format", "json", FIXTURES]);
    expect(json.code).toBe(1);
    const records = JSON.parse(json.stdout);
    expect(records.map((r: object) => Object.keys(r))).toEqual(
      records.map(() => ["file", "line", "column", "rule", "message"]),
    );
    const asText = records
      .map(
        (r: { file: string; line: number; column: number; rule: string; message: string }) =>
          `${r.file}:${r.line}:${r.column} ${r.rule} ${r.message}`,
      )
      .join("\n");
    expect(asText).toBe(text.stdout.trimEnd());
  });

  it("sorts findings by file even when the files are named out of order", async () => {
    const files = ["with_dag_block.py", "airflow3_sdk.py"].map((name) => path.join(FIXTURES, name));
    const { stdout } = await run(files);
    const printedFiles = stdout
      .trimEnd()
      .split("\n")
      .map((line) => parseTextLine(line).file);
    expect([...new Set(printedFiles)]).toEqual([files[1], files[0]]);
  });

  it("accepts --format=json and prints an empty array when nothing is found", async () => {
    const clean = path.join(FIXTURES, "clean_taskflow.py");
    expect(await run([`--format=json`, clean])).toEqual({ code: 0, stdout: "[]\n", stderr: "" });
  });

  it("names the lookup, the Airflow API behind an alias and the fix in its messages", async () => {
    const { stdout } = await run([path.join(FIXTURES, "variable_aliases.py")]);
    const first = parseTextLine(stdout.split("\n")[0]);
    expect(first.message).toBe(
      'V.get("api_token") (Variable.get) runs at import time, so every DAG parse queries the secrets backend ' +
        "and a failing lookup breaks the DAG; move the lookup into the task, or use a Jinja template such as " +
        "{{ var.value.api_token }}",
    );
  });
});

describe("lint-dags exit codes", () => {
  it("exits 0 and prints nothing for clean files", async () => {
    const files = ["clean_jinja_templates.py", "clean_taskflow.py", "local_variable_class.py"];
    expect(await run(files.map((name) => path.join(FIXTURES, name)))).toEqual({
      code: 0,
      stdout: "",
      stderr: "",
    });
  });

  it("exits 1 when a file has findings", async () => {
    expect((await run([path.join(FIXTURES, "top_level_variable.py")])).code).toBe(1);
  });

  it("exits 1 for a syntax error and for an undecodable file", async () => {
    for (const name of ["syntax_error.py", "not_utf8.py", "unknown_encoding.py"]) {
      const { code, stdout } = await run([path.join(FIXTURES, name)]);
      expect(code).toBe(1);
      expect(stdout).toMatch(/ AS90[01] /);
    }
  });

  it("exits 2 with usage when no path is given", async () => {
    const { code, stdout, stderr } = await run([]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("no PATH given");
    expect(stderr).toContain("usage: airflow-secrets lint-dags");
  });

  it("exits 2 for an unknown option or format", async () => {
    expect((await run(["--fix", FIXTURES])).code).toBe(2);
    const badFormat = await run(["--format", "xml", FIXTURES]);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('--format must be text or json, not "xml"');
  });

  it("prints usage and exits 0 for --help", async () => {
    const { code, stdout } = await run(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain("usage: airflow-secrets lint-dags [--format text|json] PATH...");
  });

  it("exits 2 for a missing path but still reports the files it could read", async () => {
    const missing = path.join(FIXTURES, "no_such_dag.py");
    const { code, stdout, stderr } = await run([missing, path.join(FIXTURES, "nested", "team_a", "etl.py")]);
    expect(code).toBe(2);
    expect(stderr).toBe(`airflow-secrets lint-dags: cannot read ${missing}: no such file or directory\n`);
    expect(stdout).toContain("etl.py:4:17 AS001 ");
  });
});

describe("lint-dags file discovery", () => {
  it("recurses into subdirectories", async () => {
    const { code, stdout } = await run([path.join(FIXTURES, "nested")]);
    expect(code).toBe(1);
    expect(stdout.trimEnd().split("\n").map(parseTextLine)).toEqual([
      expect.objectContaining({
        file: path.join(FIXTURES, "nested", "team_a", "etl.py"),
        line: 4,
        column: 17,
      }),
    ]);
  });

  it("skips __pycache__, .git and node_modules and ignores files that are not *.py", async () => {
    const root = await temporaryDirectory();
    const lookup = 'from airflow.models import Variable\nX = Variable.get("x")\n';
    for (const skipped of ["__pycache__", ".git", "node_modules", "dags"]) {
      await fs.mkdir(path.join(root, skipped));
      await fs.writeFile(path.join(root, skipped, "dag.py"), lookup);
    }
    await fs.writeFile(path.join(root, "dags", "notes.txt"), lookup);
    const { code, stdout } = await run([root]);
    expect(code).toBe(1);
    expect(
      stdout
        .trimEnd()
        .split("\n")
        .map((line) => parseTextLine(line).file),
    ).toEqual([path.join(root, "dags", "dag.py")]);
  });

  it("lints a file named on the command line whatever its extension, once even if named twice", async () => {
    const root = await temporaryDirectory();
    const file = path.join(root, "dag.txt");
    await fs.writeFile(file, 'import os\nX = os.environ["AIRFLOW_VAR_X"]\n');
    const { code, stdout } = await run([file, file]);
    expect(code).toBe(1);
    expect(stdout.trimEnd().split("\n").map(parseTextLine)).toEqual([
      expect.objectContaining({ file, line: 2, column: 5, rule: "AS004" }),
    ]);
  });
});
