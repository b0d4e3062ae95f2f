/**
 * Which CLI the `airflow-secrets` bin runs in this repository's checkout: dist/ while it is newer
 * than every source it is built from, the TypeScript sources (through this package's ts-node) once
 * one is edited. A miniature checkout with stub entry points shows the choice.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isLibraryProgram, stackProgram } from "../../cli/synth/synth";

const ROOT = path.join(__dirname, "..", "..");
let checkout: string;

function write(file: string, text: string, mtime: Date): void {
  const full = path.join(checkout, file);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, text);
  fs.utimesSync(full, mtime, mtime);
}

const stub = (which: string) =>
  `exports.runAsProcess = () => process.stdout.write(${JSON.stringify(which)});\n`;
const ran = () =>
  execFileSync(process.execPath, [path.join(checkout, "bin", "airflow-secrets.js")]).toString();

beforeAll(() => {
  checkout = fs.mkdtempSync(path.join(os.tmpdir(), "bin-entry-"));
  const old = new Date(Date.now() - 60_000);
  fs.mkdirSync(path.join(checkout, "bin"));
  fs.copyFileSync(
    path.join(ROOT, "bin", "airflow-secrets.js"),
    path.join(checkout, "bin", "airflow-secrets.js"),
  );
  fs.mkdirSync(path.join(checkout, "node_modules"));
  fs.symlinkSync(path.join(ROOT, "node_modules", "ts-node"), path.join(checkout, "node_modules", "ts-node"));
  fs.symlinkSync(
    path.join(ROOT, "node_modules", "typescript"),
    path.join(checkout, "node_modules", "typescript"),
  );
  write("tsconfig.json", JSON.stringify({ compilerOptions: { module: "commonjs", target: "es2022" } }), old);
  write("cli/main.ts", stub("sources"), old);
  write("components/index.ts", "export {};\n", old);
  write("dist/cli/main.js", stub("compiled"), new Date());
});

afterAll(() => fs.rmSync(checkout, { recursive: true, force: true }));

test("runs dist/ while it is newer than every compiled source", () => {
  expect(ran()).toBe("compiled");
});

test("runs the sources once one of them is edited after the build", () => {
  write("components/index.ts", "export const edited = true;\n", new Date(Date.now() + 60_000));
  expect(ran()).toBe("sources");
});

test("an installed copy (under node_modules) always runs dist/", () => {
  const installed = path.join(checkout, "node_modules", "airflow-secrets");
  fs.mkdirSync(path.join(installed, "bin"), { recursive: true });
  fs.copyFileSync(
    path.join(checkout, "bin", "airflow-secrets.js"),
    path.join(installed, "bin", "airflow-secrets.js"),
  );
  fs.mkdirSync(path.join(installed, "dist", "cli"), { recursive: true });
  fs.writeFileSync(path.join(installed, "dist", "cli", "main.js"), stub("compiled"));
  fs.mkdirSync(path.join(installed, "cli"));
  fs.writeFileSync(path.join(installed, "cli", "main.ts"), stub("sources"));
  const output = execFileSync(process.execPath, [
    path.join(installed, "bin", "airflow-secrets.js"),
  ]).toString();
  expect(output).toBe("compiled");
});

test("in this checkout, synth runs the library's program (compiled with the CLI), not stacks/program.ts through ts-node", () => {
  expect(isLibraryProgram(stackProgram(ROOT))).toBe(true);
  expect(isLibraryProgram(stackProgram(checkout))).toBe(true); // no stacks/program of its own
  write("stacks/program.ts", "export function deployEnvironment() { return {}; }\n", new Date());
  expect(stackProgram(checkout)).toBe(path.join(checkout, "stacks", "program"));
});
