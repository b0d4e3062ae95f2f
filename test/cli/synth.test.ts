import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../cli/main";

const ROOT = path.resolve(__dirname, "../..");

/** `airflow-secrets synth …` in process (the spawned binary is covered once, in main.test.ts). */
async function synth(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const status = await main(["synth", "--cwd", ROOT, ...args], {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
  });
  return { status, stdout, stderr };
}

describe("airflow-secrets synth", () => {
  it("prints the resource tree and the Airflow configuration for the dev stack", async () => {
    const run = await synth("--stack", "dev");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Stack dev \(stacks\/Pulumi\.dev\.yaml\): \d+ resources/);
    expect(run.stdout).toContain("└─ airflow-secrets:index:AirflowSecretsEnvironment  dev");
    expect(run.stdout).toContain("kubernetes:core/v1:Secret  dev-env-secret");
    expect(run.stdout).toContain("Airflow configuration");
  });

  it("prints byte-stable JSON with every secret shown as [secret]", async () => {
    const first = await synth("--stack", "dev", "--json");
    const second = await synth("--stack", "dev", "--json");
    expect(first.status).toBe(0);
    expect(first.stdout).toBe(second.stdout);
    const doc = JSON.parse(first.stdout);
    expect(Object.keys(doc).sort()).toEqual(["airflowConfig", "configFile", "outputs", "resources", "stack"]);
    const secret = doc.resources.find((r: { type: string }) => r.type === "kubernetes:core/v1:Secret");
    expect(secret.inputs.stringData).toBe("[secret]");
    expect(first.stdout).not.toContain("replace-with-pulumi-config-set-secret");
    const urns = doc.resources.map((r: { urn: string }) => r.urn);
    expect(urns).toEqual([...urns].sort());
    for (const r of doc.resources)
      expect(Object.keys(r)).toEqual(expect.arrayContaining(["urn", "type", "name", "inputs"]));
  });

  it("synthesises any stack file given with --config-file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
    const file = path.join(dir, "Pulumi.review.yaml");
    fs.writeFileSync(
      file,
      fs
        .readFileSync(path.join(ROOT, "stacks/Pulumi.dev.yaml"), "utf8")
        .replace("environment: dev", "environment: review"),
    );
    const run = await synth("--config-file", file, "--json");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).stack).toBe("review");
  });

  it("exits non-zero with the clear message and no stack trace on a validation error", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
    const file = path.join(dir, "Pulumi.broken.yaml");
    fs.writeFileSync(
      file,
      fs.readFileSync(path.join(ROOT, "stacks/Pulumi.dev.yaml"), "utf8").replace("port: 5432", "port: 99999"),
    );
    const run = await synth("--config-file", file);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "connections[warehouse].port: must be an integer from 1 to 65535 (got 99999)",
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe("");
  });

  it("answers usage errors with exit 2", async () => {
    expect((await synth()).status).toBe(2);
    expect((await synth("--stack")).stderr).toContain("--stack needs a value");
    expect((await synth("--stack", "dev", "--bogus")).stderr).toContain("unknown option --bogus");
    expect((await synth("--stack", "nope")).stderr).toMatch(
      /stack config file .*Pulumi\.nope\.yaml does not exist/,
    );
  });
});
