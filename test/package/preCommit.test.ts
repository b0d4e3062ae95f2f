/**
 * The pre-commit hook installed the way pre-commit installs a `language: node` hook
 * (pre_commit/languages/node.py, install_environment): clone the repository at `rev`, `npm install`
 * there (dev dependencies included, so `prepare` builds dist/), `npm pack` (whose stdout must be just
 * the tarball name: pre-commit reads it), `npm install -g` that tarball into the hook's own prefix,
 * then run the hook's `entry` on the staged files.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { NPM_ENV, ROOT, run, runOk, tempDir } from "./support";

/* eslint-disable @typescript-eslint/no-require-imports */
const VERSION = (require("../../package.json") as { version: string }).version;

interface Hook {
  id: string;
  entry: string;
  language: string;
  types?: string[];
  files?: string;
}

let work: string;
let hookEnv: string;
let packStdout: string;
const hooks = parse(fs.readFileSync(path.join(ROOT, ".pre-commit-hooks.yaml"), "utf8")) as Hook[];

beforeAll(() => {
  work = tempDir("airflow-secrets-pre-commit-");
  const clone = path.join(work, "repo");
  // pre-commit clones the repository and checks out `rev`; HEAD is the revision under test.
  runOk("git", ["clone", "--quiet", "--no-hardlinks", ROOT, clone]);
  runOk("git", ["checkout", "--quiet", runOk("git", ["rev-parse", "HEAD"], { cwd: ROOT }).stdout.trim()], {
    cwd: clone,
  });
  runOk(
    "npm",
    ["install", "--include=dev", "--include=prod", "--ignore-prepublish", "--no-progress", "--no-save"],
    {
      cwd: clone,
    },
  );
  const packed = runOk("npm", ["pack"], { cwd: clone });
  packStdout = packed.stdout;
  hookEnv = path.join(work, "node_env");
  runOk("npm", ["install", "-g", path.join(clone, packStdout.trim())], {
    cwd: clone,
    env: { ...NPM_ENV, NPM_CONFIG_PREFIX: hookEnv },
  });
}, 1_200_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe(".pre-commit-hooks.yaml", () => {
  it("declares the lint-dags hook as a node hook on Python files under dags/", () => {
    expect(hooks.map((h) => h.id)).toEqual(["airflow-secrets-lint-dags"]);
    expect(hooks[0]).toMatchObject({
      language: "node",
      entry: "airflow-secrets lint-dags",
      types: ["python"],
    });
  });

  it("the README's pre-commit snippet uses the v<package version> tag scheme", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const revs = [...readme.matchAll(/^\s*rev: (\S+)$/gm)].map((m) => m[1]);
    expect(revs.length).toBeGreaterThan(0);
    for (const rev of revs) expect(rev).toBe(`v${VERSION}`);
  });
});

describe("installed as pre-commit installs node hooks", () => {
  it("npm pack prints only the tarball name", () => {
    expect(packStdout).toBe(`airflow-secrets-${VERSION}.tgz\n`);
  });

  it("runs the entry on a clean and a offending DAG file", () => {
    const repo = path.join(work, "user-repo");
    fs.mkdirSync(path.join(repo, "dags"), { recursive: true });
    const clean = path.join(repo, "dags", "clean.py");
    const offending = path.join(repo, "dags", "offending.py");
    fs.writeFileSync(
      clean,
      "from airflow.decorators import task\n\n@task\ndef load():\n    from airflow.models import Variable\n    return Variable.get('bucket')\n",
    );
    fs.writeFileSync(
      offending,
      "from airflow.hooks.base import BaseHook\nconn = BaseHook.get_connection('warehouse')\n",
    );
    const [command, ...args] = hooks[0].entry.split(" ");
    const env = { ...process.env, PATH: `${path.join(hookEnv, "bin")}${path.delimiter}${process.env.PATH}` };
    const ok = run(command, [...args, clean], { cwd: repo, env });
    expect({ status: ok.status, stdout: ok.stdout, stderr: ok.stderr }).toEqual({
      status: 0,
      stdout: "",
      stderr: "",
    });
    const bad = run(command, [...args, clean, offending], { cwd: repo, env });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain("dags/offending.py:2:");
    expect(bad.stdout).toContain("AS002");
  });
});
