/** `synth --dags`: the lookup-cost estimate after the synthesized stack, in text and in JSON. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runSynth } from "../../cli/synthCommand";

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, "../..");

async function synth(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runSynth(["--cwd", ROOT, ...argv], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

describe("synth --dags", () => {
  let dags: string;
  beforeAll(() => {
    dags = fs.mkdtempSync(path.join(os.tmpdir(), "dags-"));
    fs.writeFileSync(
      path.join(dags, "etl.py"),
      [
        "from airflow.models import Variable",
        'A = Variable.get("alert_email")',
        'B = Variable.get("not_declared")',
        "",
      ].join("\n"),
    );
  });

  it("prints the estimate for the stack's backend after the tree (GCP: no lookup patterns)", async () => {
    const run = await synth([
      "--config-file",
      path.join(ROOT, "stacks/examples/Pulumi.prod-gcp.yaml"),
      "--dags",
      dags,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Airflow configuration");
    expect(run.stdout).toMatch(
      /Lookup cost at DAG parse \(prod, gcp-secret-manager, \$0\.03 per 10,000 calls/,
    );
    expect(run.stdout).toMatch(/undeclared variable not_declared \(.*etl\.py:3\): [\d,]+ calls\/day/);
  });

  it("adds lookupCost to the JSON document, and nothing without --dags", async () => {
    const run = await synth(["--stack", "prod", "--json", "--dags", dags, "--parse-interval", "60"]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.lookupCost).toMatchObject({ backend: "aws-secrets-manager", parseIntervalSeconds: 60 });
    expect(doc.lookupCost.lookups).toHaveLength(2);
    const plain = await synth(["--stack", "prod", "--json"]);
    expect(JSON.parse(plain.stdout).lookupCost).toBeUndefined();
  });

  it("refuses a parse interval that is not a whole number of seconds", async () => {
    const run = await synth(["--stack", "dev", "--dags", dags, "--parse-interval", "soon"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--parse-interval must be a whole number");
  });
});
