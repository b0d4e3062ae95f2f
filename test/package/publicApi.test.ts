/**
 * The package's entry points: the root exports the contract and the environment component without
 * loading any optional cloud SDK, and every subpath in package.json "exports" names a module that
 * exists and exports something.
 */
import { builtinModules } from "module";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  exports: Record<string, string | { types: string; default: string }>;
  files: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

/** Runs the `airflow-secrets` command in a child process, as a user's shell would. */
function cli(args: string[], cwd = ROOT) {
  return spawnSync(process.execPath, [path.join(ROOT, "bin", "airflow-secrets.js"), ...args], {
    cwd,
    encoding: "utf8",
  });
}

/** Writes `content` as `name` in a fresh temporary folder and returns its path. */
function tempFile(name: string, content: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "stack-")), name);
  fs.writeFileSync(file, content);
  return file;
}

/** Loads a module in a fresh Node process and reports which optional peer SDKs it pulled in. */
function loadInChild(modulePath: string): { exported: string[]; loadedPeers: string[] } {
  const peers = JSON.stringify(Object.keys(manifest.peerDependencies));
  const script = `
    require("ts-node").register({ transpileOnly: true, project: ${JSON.stringify(path.join(ROOT, "tsconfig.json"))} });
    const m = require(${JSON.stringify(modulePath)});
    const peers = ${peers};
    const loaded = peers.filter((p) => Object.keys(require.cache).some((f) => f.includes("/node_modules/" + p + "/")));
    process.stdout.write(JSON.stringify({ exported: Object.keys(m), loadedPeers: loaded }));
  `;
  const run = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

/** The TypeScript source behind a compiled `./dist/components/<x>/index.js` export target. */
function sourceOf(target: string | { default: string }): string {
  const compiled = typeof target === "string" ? target : target.default;
  return path.join(ROOT, compiled.replace(/^\.\/dist\//, "").replace(/\.js$/, ".ts"));
}

describe("package entry points", () => {
  it("the root exports the environment, the backend shape and the Fernet key, and loads no cloud SDK", () => {
    const root = loadInChild(sourceOf(manifest.exports["."]));
    expect(root.exported).toEqual(
      expect.arrayContaining([
        "AirflowSecretsEnvironment",
        "resolveBackendOrThrow",
        "BACKEND_NAMES",
        "ValidationError",
        "FernetKey",
        "AirflowServiceAccount",
        "AirflowConfigMap",
      ]),
    );
    // Internal helpers stay behind relative imports (the API report lists the whole surface).
    expect(root.exported.filter((name) => /^(check|validate|prepare|load)/.test(name))).toEqual([]);
    expect(root.loadedPeers).toEqual([]);
  }, 60_000);

  it("the contract subpath exports planning and serialising, and loads no cloud SDK", () => {
    const contract = loadInChild(sourceOf(manifest.exports["./airflow"]));
    expect(contract.exported).toEqual(
      expect.arrayContaining(["planSecrets", "renderAirflowConfig", "connectionToUri", "backendProfile"]),
    );
    expect(contract.loadedPeers).toEqual([]);
  }, 60_000);

  it("a backend subpath loads its own SDK and no other", () => {
    expect(loadInChild(sourceOf(manifest.exports["./vault"])).loadedPeers).toEqual(["@pulumi/vault"]);
    // The env backend needs only @pulumi/kubernetes, a dependency of the package.
    const env = loadInChild(sourceOf(manifest.exports["./env"]));
    expect(env.exported).toEqual(expect.arrayContaining(["EnvAirflowSecrets", "envBackend"]));
    expect(env.loadedPeers).toEqual([]);
  }, 60_000);

  it("every exported subpath points at a module that exists", () => {
    const targets = Object.entries(manifest.exports).filter(([key]) => key !== "./package.json");
    expect(targets.length).toBeGreaterThanOrEqual(9);
    for (const [key, target] of targets) {
      expect([key, fs.existsSync(sourceOf(target))]).toEqual([key, true]);
    }
  });
});

describe("published files", () => {
  /** `stacks/*.yaml` → a RegExp over repository-relative paths (what `files` globs need here). */
  const globToRegExp = (glob: string) =>
    new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}(/.*)?$`);

  it("the JSON Schema the shipped stack files name for editors ships with them", () => {
    const stackFiles = manifest.files.filter((glob) => glob.startsWith("stacks/"));
    expect(stackFiles.length).toBeGreaterThan(0);
    const schema = "schema/stack.schema.json";
    expect(fs.existsSync(path.join(ROOT, schema))).toBe(true);
    expect(manifest.files.some((glob) => globToRegExp(glob).test(schema))).toBe(true);
  });
});

/** Every .ts file the published package runs (tests and benchmarks are not shipped). */
function shippedSources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return shippedSources(relative);
    return entry.name.endsWith(".ts") ? [relative] : [];
  });
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
const packageOf = (specifier: string) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/");

describe("runtime dependencies", () => {
  // Left external by the rotator bundles: the function runtimes provide them.
  const providedByFunctionRuntimes = new Set([
    "@aws-sdk/client-secrets-manager",
    "@google-cloud/functions-framework",
  ]);

  it("everything the shipped code imports is a dependency or an optional peer, never a devDependency", () => {
    const imported = new Map<string, string>();
    for (const file of ["components", "cli", "policies", "stacks"].flatMap(shippedSources)) {
      const source = fs.readFileSync(path.join(ROOT, file), "utf8");
      const specifiers = [
        ...source.matchAll(/^\s*(?:import|export)\b[^;=]*?\bfrom\s+"([^".][^"]*)"/gm),
        ...source.matchAll(/^\s*import\s+"([^".][^"]*)"/gm),
        ...source.matchAll(/(?<![\w.])(?:require|require\.resolve|import)\(\s*"([^".][^"]*)"\s*\)/g),
      ];
      for (const [, specifier] of specifiers) imported.set(packageOf(specifier), file);
    }
    const unresolvable = [...imported]
      .filter(([name]) => !builtinModules.includes(name) && !name.startsWith("node:"))
      .filter(([name]) => !providedByFunctionRuntimes.has(name))
      .filter(([name]) => !(name in manifest.dependencies) && !(name in manifest.peerDependencies))
      .map(([name, file]) => `${name} (imported by ${file})`);
    expect(imported.has("@cdktf/hcl2json")).toBe(true);
    expect(unresolvable).toEqual([]);
  });
});

describe("a project that holds only stack files", () => {
  it("synthesizes with the library's own program, under its own project name", () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "consumer-"));
    fs.mkdirSync(path.join(project, "stacks"));
    fs.writeFileSync(
      path.join(project, "Pulumi.yaml"),
      "name: data-secrets\nruntime: nodejs\nmain: node_modules/airflow-secrets/dist/stacks/\nstackConfigDir: stacks\n",
    );
    fs.copyFileSync(
      path.join(ROOT, "stacks", "Pulumi.dev.yaml"),
      path.join(project, "stacks", "Pulumi.dev.yaml"),
    );
    const run = cli(["synth", "--stack", "dev", "--json"], project);
    expect(run.stderr).toBe("");
    const synthesized = JSON.parse(run.stdout) as { resources: Array<{ urn: string; type: string }> };
    expect(synthesized.resources.map((r) => r.type)).toContain("kubernetes:core/v1:Secret");
    expect(synthesized.resources[0].urn).toMatch(/^urn:pulumi:dev::data-secrets::/);
  }, 60_000);
});

describe("typos in a stack file", () => {
  it("are refused before anything is registered, instead of planning an empty environment", () => {
    const original = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.dev.yaml"), "utf8");
    const misspelt = original.replace("airflow-secrets:connections:", "airflow-secrets:conections:");
    expect(misspelt).not.toBe(original);
    const leftover = "  airflow-secrets:vault:\n    url: https://vault.example.com\n";
    const run = cli(["synth", "--config-file", tempFile("Pulumi.dev.yaml", misspelt + leftover)]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    // The field path is dotted from the key under `airflow-secrets:` (with or without the namespace).
    expect(run.stderr).toMatch(/(^|\s|airflow-secrets:)conections: is not a key this program reads/m);
    expect(run.stderr).toMatch(
      /(^|\s|airflow-secrets:)vault: settings for the vault backend, but this stack selects backend: env/m,
    );

    const nested = original.replace("namespace:", "namspace:").replace("generations:", "generation:");
    const second = cli(["synth", "--config-file", tempFile("Pulumi.dev.yaml", nested)]);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain("kubernetes.namspace: is not a known setting");
    expect(second.stderr).toContain("fernet.generation: is not a known setting");
  }, 60_000);
});

describe("secrets in a stack file", () => {
  const synthFile = (content: string) =>
    cli(["synth", "--config-file", tempFile("Pulumi.prod.yaml", content)]);
  const prod = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.prod.yaml"), "utf8");

  it("a production stack file may not hold a password or a secret-looking extra in plaintext", () => {
    const plaintext = prod
      .replace(/password:\n\s+secure: [^\n]+/, "password: hunter2")
      .replace(/webhook_token:\n\s+secure: [^\n]+/, "webhook_token: xoxb-plain");
    expect(plaintext).not.toBe(prod);
    const run = synthFile(plaintext);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /airflow-secrets:connections\[0\]\.password: is plaintext in a production stack file/,
    );
    expect(run.stderr).toMatch(/airflow-secrets:connections\[\d\]\.extra\.webhook_token: is plaintext/);
    // A non-secret extra such as sslmode stays plain.
    expect(run.stderr).not.toContain("sslmode");
  }, 60_000);

  it("identifiers may not be secure: values, in any stack", () => {
    const run = synthFile(
      prod.replace("- conn_id: warehouse\n", "- conn_id:\n        secure: v1:EXAMPLE:x\n"),
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "airflow-secrets:connections[0].conn_id: must not be a secure: value: it becomes part of resource names and URNs",
    );
  }, 60_000);
});
