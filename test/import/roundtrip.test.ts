/**
 * The import round trip: a corpus of connections and variables → export files as Airflow writes
 * them (json, yaml, env with URI and JSON values; Airflow 2 and 3 shapes) → `import` → the generated
 * script against a stand-in `pulumi` that records argv and stdin → the real synth of the stack file
 * → the stored values, read the way Airflow reads them (Python's urllib/json via the oracle), equal
 * what Airflow read from the export, field for field. No secret value appears in the stack file,
 * the script's command lines or any command's output.
 */
import * as fs from "fs";
import * as path from "path";
import { isSecretValue } from "../../cli/synth/mockRuntime";
import { findProject } from "../../cli/synth/stackFile";
import { synthesize } from "../../cli/synth/synth";
import { askPython, SemanticsRequest } from "../support/airflowSemantics";
import { findUnwrappedSecrets } from "../support/secrets";
import {
  CorpusConnection,
  corpusConnections,
  corpusSecrets,
  corpusVariables,
  SECRET_MARKER,
} from "./support/corpus";
import {
  applyCalls,
  decryptedCopy,
  ExportSpec,
  importCli,
  runScript,
  tempProject,
  writeExports,
} from "./support/harness";

// Dozens of processes (the script's extractor per secret) on a shared machine.
jest.setTimeout(600_000);

const CONNECTION_FILES: Array<Omit<ExportSpec, "connections">> = [
  { name: "connections-af2.json", format: "json", airflow: 2 },
  { name: "connections-af2.yaml", format: "yaml", airflow: 2 },
  { name: "connections-af2.env", format: "env-uri", airflow: 2 },
  { name: "connections-af3.json", format: "json", airflow: 3 },
  { name: "connections-af3.yaml", format: "yaml", airflow: 3 },
  { name: "connections-af3.env", format: "env-uri", airflow: 3 },
  { name: "connections-af3-json.env", format: "env-json", airflow: 3 },
];

/** Fields as Airflow holds them, empty ones left out and extra parsed, so two readings compare. */
function normalize(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === null || value === undefined || value === "") continue;
    if (key === "extra") {
      const extra = typeof value === "string" ? JSON.parse(value) : value;
      if (Object.keys(extra).length > 0) out.extra = extra;
    } else out[key] = value;
  }
  return out;
}

/** The Connection dict Airflow's export writes for a corpus entry. */
const exportDict = (conn: CorpusConnection) => ({
  conn_type: conn.conn_type,
  description: conn.description ?? null,
  login: conn.login ?? null,
  password: conn.password ?? null,
  host: conn.host ?? null,
  port: conn.port ?? null,
  schema: conn.schema ?? null,
  extra: conn.extra ?? null,
});

describe("import round trip (env backend, 60 connections, Airflow 2 and 3 exports)", () => {
  const connections = corpusConnections(60);
  const variables = corpusVariables();
  const secretVariableKeys = ["marked_by_user", "api_secret_key", "dwh_password"];
  const secrets = corpusSecrets(connections, variables, secretVariableKeys);
  let dir: string;
  let files: string[];
  let imported: { code: number; stdout: string; stderr: string };
  let result: {
    imported: Array<{
      id: string;
      renamedFrom?: string;
      kind: string;
      secrets: string[];
      references?: string[];
    }>;
    refused: unknown[];
    script: string;
  };
  let scriptRun: ReturnType<typeof runScript>;
  let stackAfterImport: string;
  let stackAfterScript: string;
  let stored: Record<string, string>;
  let synthRaw: Awaited<ReturnType<typeof synthesize>>["raw"];

  beforeAll(async () => {
    dir = tempProject({ dev: "stacks/Pulumi.dev.yaml" });
    const specs: ExportSpec[] = CONNECTION_FILES.map((spec, f) => ({
      ...spec,
      connections: connections.filter((_, i) => i % CONNECTION_FILES.length === f),
    }));
    specs.push({
      name: "variables-af2.json",
      format: "variables",
      airflow: 2,
      variables: variables.slice(0, 5),
    });
    specs.push({
      name: "variables-af3.json",
      format: "variables",
      airflow: 3,
      variables: variables.slice(5),
    });
    files = writeExports(dir, specs);
    fs.mkdirSync(path.join(dir, "dags"));
    const renamedConn = connections.find((c) => c.conn_id.startsWith("legacy-"))!;
    fs.writeFileSync(
      path.join(dir, "dags", "legacy.py"),
      [
        "from airflow.models import Variable",
        "from airflow.providers.http.operators.http import HttpOperator",
        `task = HttpOperator(task_id="t", http_conn_id="${renamedConn.conn_id}")`,
        `LEGACY = Variable.get("legacy-var.name")`,
        "",
      ].join("\n"),
    );
    imported = await importCli([
      "--stack",
      "dev",
      "--cwd",
      dir,
      "--dags",
      "dags",
      "--accept-renames",
      "--json",
      "--secret-variables",
      "marked_by_user",
      ...files,
    ]);
    result = JSON.parse(imported.stdout);
    stackAfterImport = fs.readFileSync(path.join(dir, "stacks", "Pulumi.dev.yaml"), "utf8");
    scriptRun = runScript(result.script);
    applyCalls(dir, scriptRun.calls);
    stackAfterScript = fs.readFileSync(path.join(dir, "stacks", "Pulumi.dev.yaml"), "utf8");
    const decrypted = path.join(dir, "stacks", "Pulumi.dev-decrypted.yaml");
    decryptedCopy(path.join(dir, "stacks", "Pulumi.dev.yaml"), decrypted);
    const synth = await synthesize({ project: findProject(dir), stack: "dev", configFile: decrypted });
    synthRaw = synth.raw;
    const secret = synth.raw.find((r) => r.type === "kubernetes:core/v1:Secret")!;
    const data = secret.inputs.stringData;
    if (!isSecretValue(data)) throw new Error("the Secret's stringData is not a Pulumi secret");
    stored = data.value as Record<string, string>;
  });

  it("covers at least 50 connections of every family, with hostile secrets, in every export shape", () => {
    expect(connections.length).toBeGreaterThanOrEqual(50);
    expect(new Set(connections.map((c) => c.conn_type)).size).toBeGreaterThanOrEqual(30);
    expect(secrets.length).toBeGreaterThan(60);
    for (const file of files) expect(fs.statSync(file).size).toBeGreaterThan(0);
    expect(fs.readFileSync(files[2], "utf8")).toMatch(/__extra__=/);
  });

  it("imports every connection and variable (refused ids under their checked renames)", () => {
    expect(imported.code).toBe(0);
    expect(result.refused).toEqual([]);
    const ids = result.imported.filter((i) => i.kind === "connection").map((i) => i.renamedFrom ?? i.id);
    expect(ids.sort()).toEqual(connections.map((c) => c.conn_id).sort());
    const renamed = result.imported.filter((i) => i.renamedFrom !== undefined);
    expect(renamed.length).toBeGreaterThanOrEqual(5);
    const legacy = renamed.find((i) => i.renamedFrom === "legacy-var.name");
    expect(legacy?.references).toEqual([`${path.join(dir, "dags", "legacy.py")}:4`]);
  });

  it("sets every secret through the stand-in, value on stdin, never on a command line", () => {
    expect(scriptRun.status).toBe(0);
    const expected = result.imported.reduce((n, i) => n + i.secrets.length, 0);
    expect(scriptRun.calls).toHaveLength(expected);
    const script = fs.readFileSync(result.script, "utf8");
    for (const secret of secrets) {
      expect(script).not.toContain(secret);
      for (const call of scriptRun.calls) expect(call.argv.join(" ")).not.toContain(secret);
    }
    // Each call read one value; together they are exactly the corpus secrets (plus one newline each).
    const values = scriptRun.calls.map((c) => c.stdin);
    expect(values.every((v) => v.endsWith("\n"))).toBe(true);
    for (const secret of secrets) expect(values).toContain(`${secret}\n`);
    for (const call of scriptRun.calls) {
      expect(call.argv.slice(0, 4)).toEqual(["config", "set", "--secret", "--path"]);
      expect(call.argv[call.argv.length - 2]).toBe("--");
    }
  });

  it("keeps every secret out of the stack file and out of the output", () => {
    expect(stackAfterImport).toContain("v1:IMPORT:");
    expect(stackAfterScript).not.toContain("v1:IMPORT:");
    for (const secret of secrets) {
      for (const text of [
        stackAfterImport,
        stackAfterScript,
        imported.stdout,
        imported.stderr,
        scriptRun.stdout,
        scriptRun.stderr,
      ])
        expect(text).not.toContain(secret);
    }
    expect(imported.stdout).not.toContain(SECRET_MARKER);
    expect(findUnwrappedSecrets(synthRaw, secrets)).toEqual([]);
  });

  it("keeps the stack file's comments and existing declarations", () => {
    const original = fs.readFileSync(path.join(__dirname, "../../stacks/Pulumi.dev.yaml"), "utf8");
    const firstComment = original.split("\n")[0];
    expect(firstComment.startsWith("#")).toBe(true);
    expect(stackAfterScript.split("\n")[0]).toBe(firstComment);
    expect(stackAfterScript.indexOf("conn_id: warehouse")).toBeLessThan(
      stackAfterScript.indexOf("conn_id: postgres_0"),
    );
  });

  it("stores what Airflow read from the export, field for field (Python's urllib and json)", () => {
    const finalId = new Map(result.imported.map((i) => [i.renamedFrom ?? i.id, i.id]));
    const requests: SemanticsRequest[] = [];
    const expectedForms: Array<"fields" | "python"> = [];
    for (const [i, conn] of connections.entries()) {
      const spec = CONNECTION_FILES[i % CONNECTION_FILES.length];
      if (spec.format === "env-uri") {
        const line = fs
          .readFileSync(path.join(dir, spec.name), "utf8")
          .split("\n")
          .find((l) => l.startsWith(`${conn.conn_id}=`))!;
        requests.push({ op: "uri", value: line.slice(conn.conn_id.length + 1) });
      } else {
        requests.push({ op: "json", value: JSON.stringify(exportDict(conn)) });
      }
      expectedForms.push(spec.format === "env-uri" ? "python" : "fields");
      const value = stored[`AIRFLOW_CONN_${finalId.get(conn.conn_id)!.toUpperCase()}`];
      expect(value).toBeDefined();
      requests.push({ op: value.startsWith("{") ? "json" : "uri", value });
    }
    const answers = askPython(requests);
    expect(answers.every((a) => a.error === undefined)).toBe(true);
    connections.forEach((conn, i) => {
      const fromExport = normalize(answers[2 * i].ok as Record<string, unknown>);
      const fromStore = normalize(answers[2 * i + 1].ok as Record<string, unknown>);
      expect({ id: conn.conn_id, ...fromStore }).toEqual({ id: conn.conn_id, ...fromExport });
      // What the export itself keeps: everything, except that a URI drops the description.
      const original = normalize(exportDict(conn));
      if (expectedForms[i] === "python") delete original.description;
      expect({ id: conn.conn_id, ...fromExport }).toEqual({ id: conn.conn_id, ...original });
    });
  });

  it("stores every variable value exactly", () => {
    const finalId = new Map(result.imported.map((i) => [i.renamedFrom ?? i.id, i.id]));
    for (const variable of variables) {
      expect(stored[`AIRFLOW_VAR_${finalId.get(variable.key)!.toUpperCase()}`]).toBe(variable.value);
    }
  });
});
