/**
 * `inventory`: every declared id with its backend, the exact name the synth really registers, the
 * format, rotation and readers, as Markdown and JSON; with `--dags`, the lookup-cost estimate of the
 * top-level lookups lint-dags finds.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runInventory } from "../../cli/inventory";
import { findProject } from "../../cli/synth/stackFile";
import { synthesize } from "../../cli/synth/synth";

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, "../..");

async function inventory(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runInventory(["--cwd", ROOT, ...argv], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

describe("airflow-secrets inventory", () => {
  it("lists the prod stack (AWS): names the synth registers, formats, rotation, readers", async () => {
    const run = await inventory(["--stack", "prod", "--format", "json"]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.backend).toBe("AWS Secrets Manager");
    const rows = doc.secrets as Array<{
      kind: string;
      id: string;
      name: string;
      format: string;
      rotation?: { strategy: string; everyDays: number };
      readBy: string;
    }>;
    expect(rows.map((r) => `${r.kind}:${r.id}`).sort()).toEqual([
      "config:fernet_key",
      "connection:slack_alerts",
      "connection:warehouse",
      "connection:warehouse_admin",
      "variable:alert_email",
      "variable:s3_landing_bucket",
    ]);
    const synth = await synthesize({
      project: findProject(ROOT),
      stack: "prod",
      configFile: path.join(ROOT, "stacks", "Pulumi.prod.yaml"),
    });
    const registered = synth.resources
      .filter((r) => r.type === "aws:secretsmanager/secret:Secret")
      .map((r) => (r.inputs as { name: string }).name)
      .sort();
    expect(registered.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.name).sort()).toEqual(registered);
    const warehouse = rows.find((r) => r.id === "warehouse")!;
    expect(warehouse).toMatchObject({
      format: "JSON",
      rotation: { strategy: "alternating-users", everyDays: 90 },
    });
    expect(rows.find((r) => r.id === "warehouse_admin")!.readBy).toMatch(/rotation function only/);
    expect(doc.readers).toEqual(
      expect.arrayContaining([
        "Kubernetes service account airflow-prod/airflow",
        expect.stringMatching(/^readerRoleArn arn:aws:iam::\d+:role\//),
      ]),
    );
    expect(run.stdout).not.toContain("EXAMPLE");
  });

  it("prints Markdown usable as a pull-request comment (Vault paths, KV formats)", async () => {
    const run = await inventory(["--stack", "staging"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^### Secrets of stack `staging` \(staging, HashiCorp Vault \(KV v2\)\)/);
    expect(run.stdout).toContain("| kind | id | stored as | format | rotation | read by |");
    expect(run.stdout).toMatch(
      /\| connection \| `\w+` \| `staging\/connections\/\w+` \| KV v2 connection fields \|/,
    );
    expect(run.stdout).toContain("vaultReaderPolicy `airflow-staging-reader`");
  });

  it("adds the lookup cost of the top-level lookups in --dags", async () => {
    const dags = fs.mkdtempSync(path.join(os.tmpdir(), "dags-"));
    fs.writeFileSync(
      path.join(dags, "etl.py"),
      [
        "from airflow.models import Variable",
        "from airflow.hooks.base import BaseHook",
        'EMAIL = Variable.get("alert_email")',
        'LEGACY = BaseHook.get_connection("legacy_ftp")',
        "def task():",
        '    return Variable.get("s3_landing_bucket")  # runs in the task, not at parse',
        "",
      ].join("\n"),
    );
    const run = await inventory(["--stack", "prod", "--format", "json", "--dags", dags]);
    expect(run.code).toBe(0);
    const cost = JSON.parse(run.stdout).lookupCost;
    expect(cost.lookups.map((l: { kind: string; id: string }) => `${l.kind}:${l.id}`)).toEqual([
      "variable:alert_email",
      "connection:legacy_ftp",
    ]);
    // prod: use_cache with a 600 s TTL; the undeclared connection never reaches Secrets Manager (pattern).
    expect(cost.configured).toEqual({ callsPerDay: 144, costPerMonth: 0.0216 });
    expect(cost.patternsSave.callsPerDay).toBe(2880);
    expect(cost.undeclared).toHaveLength(1);

    const md = await inventory(["--stack", "prod", "--dags", dags]);
    expect(md.stdout).toContain("as configured: 144 calls/day, $0.0216/month");
  });

  it("answers usage errors with exit 2", async () => {
    expect((await inventory([])).code).toBe(2);
    expect((await inventory(["--stack", "prod", "--format", "csv"])).stderr).toContain(
      "--format must be md or json",
    );
    expect((await inventory(["--stack", "prod", "--parse-interval", "0"])).stderr).toContain(
      "--parse-interval must be",
    );
  });
});
