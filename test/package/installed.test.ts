/**
 * The package as a user installs it: `npm pack` of this tree, installed into a fresh project that also
 * has ts-node (which used to make every command compile our packed sources and die with TS5083), then
 * `init` → `synth`, `check`, `lint-dags`; a user's own TypeScript program with and without ts-node; a
 * synth --json over 1 MiB piped into a JSON parser 20 times; and the compiled policy pack loaded from
 * node_modules by Pulumi's own run-policy-pack entry, as `pulumi preview --policy-pack` starts it.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PACK_NAME, policies } from "../../policies/policies";
import { installedVersion, packWorkingTree, run, runOk, tempDir } from "./support";

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
const VERSION = (require("../../package.json") as { version: string }).version;

let work: string;
let packed: { tarball: string; stdout: string };
let project: string;
let cli: string;

function airflowSecrets(args: readonly string[], cwd = project) {
  return run(process.execPath, [cli, ...args], { cwd });
}

beforeAll(() => {
  work = tempDir("airflow-secrets-e2e-");
  packed = packWorkingTree(work);
  project = path.join(work, "data-platform-secrets");
  fs.mkdirSync(project);
  fs.writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({ name: "data-platform-secrets", private: true }, null, 2),
  );
  runOk(
    "npm",
    [
      "install",
      packed.tarball,
      `ts-node@${installedVersion("ts-node")}`,
      `typescript@${installedVersion("typescript")}`,
      `@types/node@${installedVersion("@types/node")}`,
      `@pulumi/vault@${installedVersion("@pulumi/vault")}`,
    ],
    { cwd: project },
  );
  cli = path.join(project, "node_modules", "airflow-secrets", "bin", "airflow-secrets.js");
}, 1_200_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("npm pack prints only the tarball name on stdout (what pre-commit reads)", () => {
    expect(packed.stdout).toBe(`airflow-secrets-${VERSION}.tgz\n`);
  });

  it("ships compiled JavaScript, no TypeScript sources, and the policy pack with its own manifest", () => {
    const installed = path.join(project, "node_modules", "airflow-secrets");
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== "node_modules") walk(full);
        } else files.push(path.relative(installed, full));
      }
    };
    walk(installed);
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files).not.toContain("tsconfig.json");
    expect(files).toEqual(
      expect.arrayContaining([
        "dist/cli/main.js",
        "dist/stacks/index.js",
        "dist/policies/index.js",
        "dist/policies/package.json",
        "dist/policies/PulumiPolicy.yaml",
        ".pre-commit-hooks.yaml",
      ]),
    );
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, "dist/policies/package.json"), "utf8"));
    expect(manifest).toMatchObject({ main: "index.js", version: VERSION });
  });
});

describe("in a user's repository with ts-node installed", () => {
  it("answers --help, -h and --version from the compiled CLI (no TS5083)", () => {
    for (const args of [
      ["--help"],
      ["synth", "--help"],
      ["check", "-h"],
      ["lint-dags", "--help"],
      ["init", "-h"],
    ]) {
      const ran = airflowSecrets(args);
      expect({ args, status: ran.status, stderr: ran.stderr }).toEqual({ args, status: 0, stderr: "" });
      expect(ran.stdout).toMatch(/^usage: airflow-secrets /);
    }
    expect(airflowSecrets(["--version"]).stdout).toBe(`airflow-secrets ${VERSION}\n`);
    const misuse = airflowSecrets(["synth", "--bogus"]);
    expect([misuse.status, misuse.stdout]).toEqual([2, ""]);
    expect(misuse.stderr).toContain("unknown option --bogus");
  });

  it("init scaffolds the repository; its dev stack synthesizes and passes check; lint-dags lints", () => {
    const init = airflowSecrets(["init", "--backend", "vault"]);
    expect(init.stderr).toBe("");
    expect(init.status).toBe(0);
    for (const file of [
      "Pulumi.yaml",
      "stacks/Pulumi.dev.yaml",
      "stacks/Pulumi.prod.yaml",
      ".pre-commit-config.yaml",
      ".github/workflows/pull-request.yml",
      ".github/workflows/deploy.yml",
      "README.md",
    ])
      expect(fs.existsSync(path.join(project, file))).toBe(true);
    expect(parse(fs.readFileSync(path.join(project, "Pulumi.yaml"), "utf8"))).toMatchObject({
      name: "data-platform-secrets",
      main: "node_modules/airflow-secrets/dist/stacks/",
    });
    // The generated workflows name the pack at a path that exists once the package is installed.
    const workflow = fs.readFileSync(path.join(project, ".github/workflows/pull-request.yml"), "utf8");
    const packPath = /policyPacks: (\S+)/.exec(workflow)![1];
    expect(fs.existsSync(path.join(project, packPath, "PulumiPolicy.yaml"))).toBe(true);

    const synth = airflowSecrets(["synth", "--stack", "dev", "--json"]);
    expect(synth.stderr).toBe("");
    expect(synth.status).toBe(0);
    const doc = JSON.parse(synth.stdout);
    expect(doc.stack).toBe("dev");
    expect(doc.resources.map((r: { type: string }) => r.type)).toContain("vault:kv/secretV2:SecretV2");

    const check = airflowSecrets(["check", "--stack", "dev"]);
    expect(check.stdout).toMatch(/Result: PASS/);
    expect(check.status).toBe(0);

    fs.mkdirSync(path.join(project, "dags"));
    fs.writeFileSync(
      path.join(project, "dags", "etl.py"),
      "from airflow.models import Variable\nbucket = Variable.get('bucket')\n",
    );
    const lint = airflowSecrets(["lint-dags", "dags"]);
    expect(lint.status).toBe(1);
    expect(lint.stdout).toContain("AS001");

    const again = airflowSecrets(["init", "--backend", "vault"]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("not overwriting existing files");
  });

  it("synth --json over 1 MiB reaches a JSON parser through a pipe whole, 20 times out of 20", async () => {
    const stackFile = fs.readFileSync(path.join(project, "stacks", "Pulumi.dev.yaml"), "utf8");
    const start = stackFile.indexOf("  airflow-secrets:connections:");
    const end = stackFile.indexOf("  airflow-secrets:variables:");
    expect([start, end].every((i) => i > 0)).toBe(true);
    // Long connection ids (Airflow allows 250 characters) make each resource's share of the JSON large,
    // so 1 MiB costs fewer resources to synthesize.
    const connections = Array.from(
      { length: 600 },
      (_, i) => `    - conn_id: warehouse_replica_${String(i).padStart(4, "0")}_${"x".repeat(220)}
      conn_type: postgres
      host: warehouse-${i}.dev.internal
`,
    ).join("");
    fs.writeFileSync(
      path.join(project, "stacks", "Pulumi.big.yaml"),
      `${stackFile.slice(0, start)}  airflow-secrets:connections:\n${connections}${stackFile.slice(end)}`,
    );
    const parser = path.join(work, "parse-stdin.js");
    // Reads everything from the pipe, parses it, and reports the byte count.
    fs.writeFileSync(
      parser,
      "let s='';process.stdin.setEncoding('utf8');process.stdin.on('data',c=>s+=c);" +
        "process.stdin.on('end',()=>{JSON.parse(s);process.stdout.write(String(Buffer.byteLength(s)))});",
    );
    const sizes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const piped = run(
        "bash",
        ["-o", "pipefail", "-c", `node "${cli}" synth --stack big --json | node "${parser}"`],
        {
          cwd: project,
        },
      );
      expect({ run: i, status: piped.status, stderr: piped.stderr }).toEqual({
        run: i,
        status: 0,
        stderr: "",
      });
      sizes.push(Number(piped.stdout.trim()));
    }
    expect(sizes[0]).toBeGreaterThan(1024 * 1024);
    expect(new Set(sizes).size).toBe(1);
  }, 600_000);

  it("runs the project's own TypeScript program with the project's ts-node; its validation errors exit 1", () => {
    const own = path.join(work, "own-program");
    fs.mkdirSync(path.join(own, "stacks"), { recursive: true });
    fs.symlinkSync(path.join(project, "node_modules"), path.join(own, "node_modules"), "dir");
    fs.writeFileSync(
      path.join(own, "Pulumi.yaml"),
      "name: own-program\nruntime: nodejs\nstackConfigDir: stacks\n",
    );
    fs.writeFileSync(path.join(own, "stacks", "Pulumi.dev.yaml"), "config: {}\n");
    const program = (port: number) => `import { AirflowSecretsEnvironment } from "airflow-secrets";

export function deployEnvironment(): Record<string, unknown> {
  const environment = new AirflowSecretsEnvironment("dev", {
    environment: "dev",
    backend: "env",
    declarations: { connections: [{ conn_id: "warehouse", conn_type: "postgres", host: "db.internal", port: ${port} }] },
    airflow: { version: "2.10" },
    kubernetes: { namespace: "airflow-dev", serviceAccount: "airflow" },
  });
  return { airflowConfig: environment.airflowConfig };
}
`;
    fs.writeFileSync(path.join(own, "stacks", "program.ts"), program(5432));
    const good = airflowSecrets(["synth", "--stack", "dev"], own);
    expect(good.stderr).toBe("");
    expect(good.status).toBe(0);
    expect(good.stdout).toContain("airflow-secrets:index:AirflowSecretsEnvironment  dev");

    fs.writeFileSync(path.join(own, "stacks", "program.ts"), program(99999));
    const bad = airflowSecrets(["synth", "--stack", "dev"], own);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/port: must be an integer from 1 to 65535/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it("without ts-node, a TypeScript program is a clear error, not a stack trace", () => {
    const bare = path.join(work, "no-ts-node");
    fs.mkdirSync(path.join(bare, "stacks"), { recursive: true });
    fs.mkdirSync(path.join(bare, "node_modules"));
    fs.symlinkSync(
      path.join(project, "node_modules", "airflow-secrets"),
      path.join(bare, "node_modules", "airflow-secrets"),
      "dir",
    );
    fs.writeFileSync(path.join(bare, "Pulumi.yaml"), "name: bare\nruntime: nodejs\nstackConfigDir: stacks\n");
    fs.writeFileSync(path.join(bare, "stacks", "Pulumi.dev.yaml"), "config: {}\n");
    fs.writeFileSync(
      path.join(bare, "stacks", "program.ts"),
      "export function deployEnvironment() { return {}; }\n",
    );
    const ran = airflowSecrets(["synth", "--stack", "dev"], bare);
    expect(ran.status).toBe(1);
    expect(ran.stderr).toContain("stacks/program.ts is TypeScript and ts-node is not installed");
    expect(ran.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("the policy pack from node_modules, as `pulumi preview --policy-pack` runs it", () => {
  let child: ChildProcess | undefined;
  afterAll(() => child?.kill());

  it("serves every policy of the pack at the package's version and reports a violation", async () => {
    const grpc = require(path.join(project, "node_modules", "@grpc/grpc-js"));
    const pulumiDir = path.join(project, "node_modules", "@pulumi", "pulumi");
    const analyzerProto = require(path.join(pulumiDir, "proto", "analyzer_pb"));
    const { AnalyzerClient } = require(path.join(pulumiDir, "proto", "analyzer_grpc_pb"));
    const { Struct } = require(
      path.join(project, "node_modules", "google-protobuf/google/protobuf/struct_pb"),
    );
    const { Empty } = require(path.join(project, "node_modules", "google-protobuf/google/protobuf/empty_pb"));
    // The engine starts `pulumi-analyzer-policy <engine address> <program>` in the pack's folder.
    child = spawn(process.execPath, [path.join(pulumiDir, "cmd", "run-policy-pack"), "127.0.0.1:0", "."], {
      cwd: path.join(project, "node_modules", "airflow-secrets", "dist", "policies"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      child!.stdout!.on("data", (chunk) => {
        out += chunk;
        const match = /^(\d+)\s*$/m.exec(out);
        if (match) resolve(match[1]);
      });
      child!.on("exit", (code) => reject(new Error(`policy pack exited with ${code}:\n${stderr}`)));
    });
    const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const rpc = (method: string, request: unknown) =>
      new Promise<any>((resolve, reject) =>
        client[method](request, (err: unknown, resp: any) => (err ? reject(err) : resolve(resp))),
      );
    try {
      const info = await rpc("getAnalyzerInfo", new Empty());
      expect(info.getName()).toBe(PACK_NAME);
      expect(info.getVersion()).toBe(VERSION);
      expect(info.getPoliciesList().map((p: any) => p.getName())).toEqual(policies.map((p) => p.name));

      const request = new analyzerProto.AnalyzeRequest();
      request.setType("aws:iam/accessKey:AccessKey");
      request.setName("airflow-key");
      request.setUrn("urn:pulumi:dev::data-platform-secrets::aws:iam/accessKey:AccessKey::airflow-key");
      request.setProperties(Struct.fromJavaScript({ user: "airflow" }));
      request.setOptions(new analyzerProto.AnalyzerResourceOptions());
      const analyzed = await rpc("analyze", request);
      expect(analyzed.getDiagnosticsList().map((d: any) => d.getPolicyname())).toEqual([
        "no-long-lived-cloud-credentials",
      ]);
    } finally {
      client.close();
    }
    expect(stderr).not.toMatch(/error TS\d+/);
  }, 120_000);
});
