/**
 * Every id a backend cannot store is refused with a rename that backend accepts (the real synth of
 * the stack file with the renames applied passes) and with the DAG lines that use the old id; what
 * `--dry-run` prints and that it writes nothing.
 */
import * as fs from "fs";
import * as path from "path";
import { findProject } from "../../cli/synth/stackFile";
import { synthesize } from "../../cli/synth/synth";
import { CorpusConnection, SECRET_MARKER } from "./support/corpus";
import { importCli, tempProject, writeExports } from "./support/harness";

jest.setTimeout(600_000);

/** Ids Airflow accepts and at least one store does not: separators, unicode, team syntax, collisions, length. */
const HOSTILE_IDS = [
  "legacy-http",
  "my.conn",
  "team:db",
  "a/b",
  "my_conn",
  "my-conn",
  "x--y",
  "données",
  "abc-XYZ123",
  "#hash(1)",
  "l".repeat(250),
  "UPPER_Case",
  "warehouse",
];

const BACKENDS: Record<string, string> = {
  env: "stacks/Pulumi.dev.yaml",
  vault: "stacks/Pulumi.staging.yaml",
  aws: "stacks/Pulumi.prod.yaml",
  gcp: "stacks/examples/Pulumi.prod-gcp.yaml",
  azure: "stacks/examples/Pulumi.prod-azure.yaml",
};

/** Ids each backend must refuse (a subset: the contract may refuse more). */
const MUST_REFUSE: Record<string, string[]> = {
  env: ["legacy-http", "my.conn", "données"],
  vault: ["#hash(1)"],
  aws: ["team:db", "abc-XYZ123", "données"],
  gcp: ["my.conn", "x--y", "a/b"],
  azure: ["my-conn", "x--y", "l".repeat(250)],
};

const connections: CorpusConnection[] = HOSTILE_IDS.map((id, i) => ({
  conn_id: id,
  conn_type: "postgres",
  host: "db.internal",
  port: 5432,
  login: "airflow",
  password: `pw-${i}-${SECRET_MARKER}`,
}));

describe.each(Object.entries(BACKENDS))("renames for the %s backend", (backend, stackFile) => {
  let dir: string;
  let exportFile: string;
  let dagFile: string;

  beforeAll(() => {
    dir = tempProject({ target: stackFile });
    [exportFile] = writeExports(dir, [{ name: "connections.json", format: "json", airflow: 3, connections }]);
    fs.mkdirSync(path.join(dir, "dags"));
    dagFile = path.join(dir, "dags", "uses_them.py");
    fs.writeFileSync(
      dagFile,
      [
        "from airflow.hooks.base import BaseHook",
        ...HOSTILE_IDS.map((id) => `BaseHook.get_connection(${JSON.stringify(id)})`),
        "",
      ].join("\n"),
    );
  });

  it("--dry-run refuses what the backend cannot store, each with a rename and the DAG lines, and writes nothing", async () => {
    const before = fs.readFileSync(path.join(dir, "stacks", "Pulumi.target.yaml"), "utf8");
    const run = await importCli([
      "--config-file",
      "stacks/Pulumi.target.yaml",
      "--cwd",
      dir,
      "--dags",
      "dags",
      "--dry-run",
      "--json",
      exportFile,
    ]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.dryRun).toBe(true);
    expect(result.script).toBeNull();
    expect(fs.readFileSync(path.join(dir, "stacks", "Pulumi.target.yaml"), "utf8")).toBe(before);
    expect(fs.existsSync(path.join(dir, "airflow-secrets-import-target"))).toBe(false);
    const refusedIds = result.refused.map((r: { id: string }) => r.id);
    expect(refusedIds).toEqual(expect.arrayContaining(MUST_REFUSE[backend]));
    for (const refused of result.refused) {
      expect(refused.reasons.some((r: string) => r.includes(".conn_id:"))).toBe(true);
      expect(typeof refused.rename).toBe("string");
      const line = HOSTILE_IDS.indexOf(refused.id) + 2;
      expect(refused.references).toEqual([`${dagFile}:${line}`]);
    }
    expect(result.skipped.map((s: { id: string }) => s.id)).toContain("warehouse");
    expect(run.stdout).not.toContain(SECRET_MARKER);

    const text = await importCli([
      "--config-file",
      "stacks/Pulumi.target.yaml",
      "--cwd",
      dir,
      "--dags",
      "dags",
      "--dry-run",
      exportFile,
    ]);
    expect(text.stdout).toMatch(/^Would add to stack target/);
    expect(text.stdout).toContain("suggested rename: ");
    expect(text.stdout).toContain(`referenced in: ${dagFile}:`);
  });

  it("the renames pass the real synth of the stack file", async () => {
    const run = await importCli([
      "--config-file",
      "stacks/Pulumi.target.yaml",
      "--cwd",
      dir,
      "--accept-renames",
      "--json",
      exportFile,
    ]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.refused).toEqual([]);
    const renamed = result.imported.filter((i: { renamedFrom?: string }) => i.renamedFrom !== undefined);
    expect(renamed.length).toBeGreaterThan(0);
    const file = path.join(dir, "stacks", "Pulumi.target.yaml");
    const synth = await synthesize({ project: findProject(dir), stack: "target", configFile: file });
    expect(synth.resources.length).toBeGreaterThan(0);
    const written = fs.readFileSync(file, "utf8");
    for (const item of renamed) expect(written).toContain(`conn_id: ${item.id}`);
    expect(written).not.toContain(SECRET_MARKER);
  });
});
