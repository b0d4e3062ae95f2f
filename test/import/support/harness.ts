/** Shared set-up of the import tests: a temp project, Airflow-written export files, the stand-in pulumi. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isMap, parseDocument, visit } from "yaml";
import { runImport } from "../../../cli/import";
import { CorpusConnection, CorpusVariable } from "./corpus";

export const ROOT = path.resolve(__dirname, "../../..");

export interface ExportSpec {
  name: string;
  format: "json" | "yaml" | "env-uri" | "env-json" | "variables";
  airflow: 2 | 3;
  connections?: CorpusConnection[];
  variables?: CorpusVariable[];
}

/** A project folder with this repository's Pulumi.yaml and the given stack files (copied). */
export function tempProject(stackFiles: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "import-"));
  fs.mkdirSync(path.join(dir, "stacks"));
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  for (const [stack, source] of Object.entries(stackFiles))
    fs.copyFileSync(path.join(ROOT, source), path.join(dir, "stacks", `Pulumi.${stack}.yaml`));
  return dir;
}

/** Writes the export files with test/import/support/airflow_export.py (Airflow's own formats). */
export function writeExports(dir: string, specs: readonly ExportSpec[]): string[] {
  const run = spawnSync("python3", [path.join(__dirname, "airflow_export.py")], {
    input: JSON.stringify({ out: dir, files: specs }),
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`airflow_export.py failed: ${run.stderr}`);
  return specs.map((s) => path.join(dir, s.name));
}

export async function importCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runImport(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

export interface FakePulumiCall {
  argv: string[];
  stdin: string;
  cwd: string;
}

/** Runs the generated script with the stand-in `pulumi` first on PATH; returns what each call got. */
export function runScript(script: string): {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: FakePulumiCall[];
} {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
  fs.symlinkSync(path.join(__dirname, "fake-pulumi.sh"), path.join(bin, "pulumi"));
  const calls = path.join(bin, "calls");
  fs.mkdirSync(calls);
  const run = spawnSync("bash", [script], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, FAKE_PULUMI_DIR: calls },
  });
  const recorded = fs
    .readdirSync(calls)
    .sort()
    .map((name) => {
      const read = (file: string) => fs.readFileSync(path.join(calls, name, file), "utf8");
      return { argv: read("argv").split("\0").slice(0, -1), stdin: read("stdin"), cwd: read("cwd").trim() };
    });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, calls: recorded };
}

/** Pulumi's property path grammar (`ParsePropertyPath`): name, .name, [index], ["quoted \\" name"]. */
export function parsePulumiPath(text: string): Array<string | number> {
  const out: Array<string | number> = [];
  const head = /^[^.[]+/.exec(text)!;
  out.push(head[0]);
  let rest = text.slice(head[0].length);
  while (rest.length > 0) {
    if (rest[0] === ".") {
      const name = /^\.([^.[]+)/.exec(rest)!;
      out.push(name[1]);
      rest = rest.slice(name[0].length);
    } else if (rest.startsWith('["')) {
      let i = 2;
      let key = "";
      while (rest[i] !== '"') {
        if (i >= rest.length) throw new Error(`missing closing quote in ${text}`);
        if (rest[i] === "\\" && rest[i + 1] === '"') {
          key += '"';
          i += 2;
        } else key += rest[i++];
      }
      if (rest[i + 1] !== "]") throw new Error(`missing closing bracket in ${text}`);
      out.push(key);
      rest = rest.slice(i + 2);
    } else {
      const index = /^\[(\d+)\]/.exec(rest);
      if (!index) throw new Error(`bad path ${text}`);
      out.push(Number(index[1]));
      rest = rest.slice(index[0].length);
    }
  }
  return out;
}

/**
 * What `pulumi config set --secret --path` does with each recorded call: drop one trailing newline
 * (cmdutil.RemoveTrailingNewline) and write `secure: <ciphertext>` at the path of the stack file
 * (here `v1:STANDIN:<base64>`, so the test can decrypt it).
 */
export function applyCalls(projectDir: string, calls: readonly FakePulumiCall[]): void {
  for (const call of calls) {
    const stack = call.argv[call.argv.indexOf("--stack") + 1];
    const configFileAt = call.argv.indexOf("--config-file");
    const file =
      configFileAt >= 0 ? call.argv[configFileAt + 1] : path.join(call.cwd, "stacks", `Pulumi.${stack}.yaml`);
    if (call.cwd !== projectDir && configFileAt < 0)
      throw new Error(`pulumi ran in ${call.cwd}, not the project`);
    const value = call.stdin.endsWith("\n") ? call.stdin.slice(0, -1) : call.stdin;
    const document = parseDocument(fs.readFileSync(file, "utf8"));
    const [key, ...rest] = parsePulumiPath(call.argv[call.argv.length - 1]);
    document.setIn(
      ["config", key, ...rest],
      document.createNode({ secure: `v1:STANDIN:${Buffer.from(value, "utf8").toString("base64")}` }),
    );
    fs.writeFileSync(file, document.toString({ lineWidth: 0, flowCollectionPadding: false }));
  }
}

/**
 * What Pulumi would hand the program: the stand-in's `secure:` values decrypted in place. The
 * copy is a test artefact that exists only to let the offline synth see the real values.
 */
export function decryptedCopy(file: string, target: string): void {
  const document = parseDocument(fs.readFileSync(file, "utf8"));
  visit(document, {
    Map(_key, node) {
      const value = isMap(node) && node.items.length === 1 ? node.get("secure") : undefined;
      return typeof value === "string" && value.startsWith("v1:STANDIN:")
        ? document.createNode(Buffer.from(value.slice("v1:STANDIN:".length), "base64").toString("utf8"))
        : undefined;
    },
  });
  fs.writeFileSync(target, document.toString({ lineWidth: 0 }));
}
