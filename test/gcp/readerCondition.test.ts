/**
 * GCP refuses IAM conditions with more than 12 logical operators. Airflow's reader condition excludes
 * each rotation master, so the number of masters is bounded: the bound is found before registration,
 * and the largest accepted stack's condition is within it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { parseSynthArgs, synthFromArgs } from "../../cli/synthCommand";

const REPO = path.resolve(__dirname, "../..");

function withMasters(count: number): string {
  const doc = parse(fs.readFileSync(path.join(REPO, "stacks/examples/Pulumi.prod-gcp.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  const postgres = { conn_type: "postgres", host: "10.20.0.5", port: 5432, schema: "analytics" };
  doc.config["airflow-secrets:connections"] = Array.from({ length: count }, (_, i) => [
    { ...postgres, conn_id: `admin_${i}`, login: `admin_${i}`, password: { secure: "v1:EXAMPLE:x" } },
    {
      ...postgres,
      conn_id: `app_${i}`,
      login: `app_${i}`,
      password: { secure: "v1:EXAMPLE:x" },
      rotation: { strategy: "alternating-users", everyDays: 30, masterConnId: `admin_${i}` },
    },
  ]).flat();
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gcp-cond-")), "Pulumi.prod-gcp.yaml");
  fs.writeFileSync(out, stringify(doc));
  return out;
}

const synth = (masters: number) =>
  synthFromArgs(parseSynthArgs(["--config-file", withMasters(masters), "--cwd", REPO]));

test("three masters fit, and the condition Airflow gets holds at most 12 logical operators", async () => {
  const { result } = await synth(3);
  const conditions = result.raw
    .filter(
      (r) => r.type === "gcp:projects/iAMMember:IAMMember" && r.name.endsWith("-airflow-reads-environment"),
    )
    .map((r) => (r.inputs.condition as { expression: string }).expression);
  expect(conditions).toHaveLength(1);
  expect(conditions[0].match(/&&|\|\||!/g)!.length).toBeLessThanOrEqual(12);
  expect(conditions[0].match(/!/g)).toHaveLength(3);
});

test("a fourth master is refused before registration, naming the limit", async () => {
  await expect(synth(4)).rejects.toThrow(/connections: 4 rotation masters .* GCP limits to 12/);
});
