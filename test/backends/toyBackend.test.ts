/**
 * The "adding a backend" guide, proven: a sixth backend is one folder plus one registry line. The
 * library's `components/` and the stack program are copied aside, the toy folder
 * (test/fixtures/toyBackend/memory) dropped in, one line added to the copy's registry; the copy must
 * differ from the original by exactly that, type-check strictly, and synthesize an environment that
 * selects `backend: memory` through the same stack-config parsing every backend gets.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { installMocks, isSecretValue } from "../../cli/synth/mockRuntime";

const REPO = path.resolve(__dirname, "../..");
const COPY = path.join(REPO, ".toy-backend", String(process.pid));
const TOY = path.join(REPO, "test/fixtures/toyBackend/memory");
const REGISTRY_LINE = `  memory: { folder: "./memory", needs: "@pulumi/pulumi" },`;

function filesUnder(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full, base) : [path.relative(base, full)];
  });
}

beforeAll(() => {
  fs.rmSync(COPY, { recursive: true, force: true });
  for (const dir of ["components", "stacks"])
    fs.cpSync(path.join(REPO, dir), path.join(COPY, dir), { recursive: true });
  fs.cpSync(TOY, path.join(COPY, "components/memory"), { recursive: true });
  const registry = path.join(COPY, "components/registry.ts");
  const text = fs.readFileSync(registry, "utf8");
  const anchor = "export const BACKENDS = {\n";
  expect(text).toContain(anchor);
  fs.writeFileSync(registry, text.replace(anchor, `${anchor}${REGISTRY_LINE}\n`));
});

afterAll(() => {
  fs.rmSync(COPY, { recursive: true, force: true });
  const parent = path.dirname(COPY);
  if (fs.existsSync(parent) && fs.readdirSync(parent).length === 0) fs.rmdirSync(parent);
});

test("the copy differs from the library by one folder and one registry line", () => {
  const original = filesUnder(path.join(REPO, "components"));
  const copied = filesUnder(path.join(COPY, "components"));
  expect(original.length).toBeGreaterThan(50);
  const added = copied.filter((f) => !original.includes(f));
  expect(added.sort()).toEqual(
    filesUnder(TOY)
      .map((f) => path.join("memory", f))
      .sort(),
  );
  const changed = original.filter(
    (f) =>
      !fs
        .readFileSync(path.join(REPO, "components", f))
        .equals(fs.readFileSync(path.join(COPY, "components", f))),
  );
  expect(changed).toEqual(["registry.ts"]);
  const before = fs.readFileSync(path.join(REPO, "components/registry.ts"), "utf8").split("\n");
  const after = fs.readFileSync(path.join(COPY, "components/registry.ts"), "utf8").split("\n");
  expect(after.length).toBe(before.length + 1);
  expect(after.filter((line) => !before.includes(line))).toEqual([REGISTRY_LINE]);
});

test("the toy folder type-checks strictly against the library's seam", () => {
  const config = ts.readConfigFile(path.join(REPO, "tsconfig.json"), ts.sys.readFile).config;
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, REPO);
  const roots = [
    ...fs.readdirSync(path.join(COPY, "components/memory")).filter((f) => f.endsWith(".ts")),
  ].map((f) => path.join(COPY, "components/memory", f));
  expect(roots.length).toBeGreaterThanOrEqual(3);
  const program = ts.createProgram([...roots, path.join(COPY, "stacks/config.ts")], {
    ...options,
    noEmit: true,
    rootDir: REPO,
  });
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  expect(diagnostics).toEqual([]);
}, 120_000);

describe("an environment selecting backend: memory", () => {
  const raw = (memory: unknown, production = false) => ({
    environment: production ? "prod" : "dev",
    backend: "memory",
    airflow: { version: "2.10" },
    kubernetes: { namespace: "airflow", serviceAccount: "airflow" },
    connections: [{ conn_id: "warehouse", conn_type: "postgres", host: "db", password: "pw" }],
    variables: [{ key: "region", value: "eu-west-1" }],
    memory,
  });
  /* eslint-disable @typescript-eslint/no-require-imports */
  const load = () => ({
    config: require(path.join(COPY, "stacks/config")) as typeof import("../../stacks/config"),
    environment: require(
      path.join(COPY, "components/environment"),
    ) as typeof import("../../components/environment"),
  });
  /* eslint-enable @typescript-eslint/no-require-imports */

  test("synthesizes the toy store, named as Airflow reads it", async () => {
    const session = installMocks({ project: "toy", stack: "dev" });
    const { config, environment } = load();
    const args = config.environmentArgsFromValues(raw({ namePrefix: "toy" }));
    const env = environment.AirflowSecretsEnvironment.fromConfig("dev", args);
    await session.settle();
    const stored = session.resources.filter((r) => r.type === "airflow-secrets:memory:StoredValue");
    expect(stored.map((r) => r.name).sort()).toEqual([
      "toy-AIRFLOW_CONN_WAREHOUSE",
      "toy-AIRFLOW_VAR_REGION",
    ]);
    for (const r of stored) expect(isSecretValue(r.inputs.value)).toBe(true);
    const umbrella = session.resources.find((r) => r.type === "airflow-secrets:memory:MemoryAirflowSecrets");
    expect(umbrella?.name).toBe("dev-memory");
    expect(stored.every((r) => r.parent === umbrella!.urn)).toBe(true);
    expect(Object.keys(env.backendOutputs)).toEqual(["memoryValueNames"]);
  });

  test("its settings are checked by its schema and its rules, before anything is registered", () => {
    const session = installMocks({ project: "toy", stack: "prod" });
    const { config, environment } = load();
    const attempt = (memory: unknown, production: boolean) => () =>
      environment.AirflowSecretsEnvironment.fromConfig(
        "x",
        config.environmentArgsFromValues(raw(memory, production)),
      );
    expect(attempt({ namePrefix: 5 }, false)).toThrow(/memory\.namePrefix: must be a string/);
    expect(attempt({ nameprefix: "x" }, false)).toThrow(/memory\.nameprefix: is not a known setting/);
    expect(attempt({}, true)).toThrow(/memory\.namePrefix: is required in production/);
    expect(session.resources).toEqual([]);
  });
});
