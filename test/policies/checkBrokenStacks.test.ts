/**
 * `airflow-secrets check` and `synth --check` on the deliberately broken stack files in
 * test/fixtures/stacks, with and without policy config, and the CLI dispatcher.
 */
import * as fs from "fs";
// Each run synthesizes a stack in a child process on a shared machine.
jest.setTimeout(300_000);
import * as os from "os";
import * as path from "path";
import { Run, cli } from "./cli";

const BROKEN_DEV = "test/fixtures/stacks/Pulumi.dev.yaml";

function configFile(content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-"));
  const file = path.join(dir, "config.json");
  fs.writeFileSync(file, JSON.stringify(content));
  return file;
}

// Started together: each run synthesizes a stack in its own process.
let runs: Record<string, Promise<Run>>;
beforeAll(() => {
  runs = {
    devText: cli("check", "--config-file", BROKEN_DEV),
    devAdvisory: cli(
      "check",
      "--config-file",
      BROKEN_DEV,
      "--policy-config",
      configFile({ "no-prod-references-outside-prod": "advisory" }),
    ),
    devAllDisabled: cli(
      "check",
      "--config-file",
      BROKEN_DEV,
      "--policy-config",
      configFile({ all: "disabled" }),
    ),
    synthCheck: cli("synth", "--config-file", BROKEN_DEV, "--check"),
  };
});

describe("airflow-secrets check on broken stacks", () => {
  it("prints violations grouped by policy with the resource and the fix", async () => {
    const run = await runs.devText;
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("FAIL no-prod-references-outside-prod [mandatory]: 2 violations");
    expect(run.stdout).toContain('   - kubernetes:core/v1:Secret "dev-env-secret"');
    expect(run.stdout).toContain(
      '"dev-env-secret" property stringData.AIRFLOW_CONN_WAREHOUSE references the "prod" environment from environment "dev".',
    );
    expect(run.stdout).toContain(
      '"dev-env-secret" property stringData.AIRFLOW_VAR_S3_LANDING_BUCKET references the "prod" environment',
    );
    expect(run.stdout).toMatch(/\n     fix:\n       Use the stack's own environment/);
    expect(run.stdout).toContain(
      "not applicable: audit-sink-in-prod (applies to production: no AirflowSecretsEnvironment has production on and the stack is not in productionStacks)",
    );
    expect(run.stdout).toMatch(
      /Result: FAIL, 2 mandatory violations \(no-prod-references-outside-prod\), 0 advisory\n$/,
    );
  });

  it("reads enforcement overrides from a Pulumi policy config file", async () => {
    const advisory = await runs.devAdvisory;
    expect(advisory.status).toBe(0);
    expect(advisory.stdout).toContain("WARN no-prod-references-outside-prod [advisory]: 2 violations");
    expect(advisory.stdout).toContain("Result: PASS (2 advisory violations)");
    const disabled = await runs.devAllDisabled;
    expect(disabled.status).toBe(0);
    expect(disabled.stdout).toMatch(
      /disabled by policy config: secrets-encrypted-with-cmk, .*lookup-pattern-set/,
    );
  });

  it("rejects an invalid policy config before synthesizing anything", async () => {
    const run = await cli(
      "check",
      "--config-file",
      BROKEN_DEV,
      "--policy-config",
      configFile({
        "no-such-policy": "advisory",
        "rotation-within-cadence": { databasePasswordMaxDays: "ninety", enforcementLevel: "loud" },
      }),
    );
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("no-such-policy: no such policy in the pack");
    expect(run.stderr).toContain(
      "rotation-within-cadence.enforcementLevel: must be one of advisory, mandatory, remediate, disabled",
    );
    expect(run.stderr).toContain(
      "rotation-within-cadence.databasePasswordMaxDays: expected integer, got string",
    );
  });

  it("runs the pack after the tree with synth --check", async () => {
    const run = await runs.synthCheck;
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^Stack dev \(test\/fixtures\/stacks\/Pulumi\.dev\.yaml\): \d+ resources/);
    expect(run.stdout).toContain("\nPolicy check of stack dev");
    expect((await cli("synth", "--stack", "dev", "--check", "--json")).status).toBe(2);
  });
});

describe("the airflow-secrets dispatcher", () => {
  it("runs lint-dags and reports top-level secret lookups", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dags-"));
    fs.writeFileSync(
      path.join(dir, "top_level.py"),
      'from airflow.models import Variable\nBUCKET = Variable.get("bucket")\n',
    );
    const run = await cli("lint-dags", dir);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("AS001");
  });

  it("lists check and lint-dags in its usage", async () => {
    const run = await cli("--help");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/check --stack NAME/);
    expect(run.stdout).toMatch(/lint-dags/);
    expect((await cli("nope")).status).toBe(2);
  });
});
