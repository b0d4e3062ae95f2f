/**
 * The Fernet re-encryption Job exists only while a rotation is in progress, runs under Airflow's own
 * service account (the reader identity) with the same configuration, after the backend holds the new
 * value, and is named after the generation so it runs once per rotation.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { parseSynthArgs, synthFromArgs } from "../../cli/synthCommand";

const REPO = path.resolve(__dirname, "../..");

function stackWith(file: string, fernet: unknown): string {
  const doc = parse(fs.readFileSync(path.join(REPO, file), "utf8")) as { config: Record<string, unknown> };
  doc.config["airflow-secrets:fernet"] = fernet;
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fernet-")), path.basename(file));
  fs.writeFileSync(out, stringify(doc));
  return out;
}

const job = { image: "apache/airflow:3.1.5", metadataSecret: { name: "airflow-metadata" } };
const synth = async (file: string, fernet: unknown) =>
  (await synthFromArgs(parseSynthArgs(["--config-file", stackWith(file, fernet), "--cwd", REPO]))).result;

describe.each(["stacks/Pulumi.prod.yaml", "stacks/Pulumi.dev.yaml"])("%s", (file) => {
  test("during a rotation: one Job, as Airflow's service account, after the backend", async () => {
    const result = await synth(file, {
      generations: ["2026-q4", "2027-q1"],
      rotationInProgress: true,
      reencryptJob: job,
    });
    const jobs = result.raw.filter((r) => r.type === "kubernetes:batch/v1:Job");
    expect(jobs).toHaveLength(1);
    const spec = jobs[0].inputs as {
      metadata: { name: string };
      spec: {
        template: {
          spec: {
            serviceAccountName: string;
            containers: { args: string[]; envFrom: unknown[]; env: unknown[] }[];
          };
        };
      };
    };
    expect(spec.metadata.name).toMatch(/-fernet-reencrypt-2027-q1$/);
    const pod = spec.spec.template.spec;
    expect(pod.serviceAccountName).toBe(result.outputs.serviceAccount);
    expect(pod.containers[0].args).toEqual(["airflow", "rotate-fernet-key"]);
    expect(pod.containers[0].envFrom).toContainEqual({ configMapRef: { name: result.outputs.configMap } });
    expect(pod.containers[0].env).toEqual([
      {
        name: "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        valueFrom: { secretKeyRef: { name: "airflow-metadata", key: "connection" } },
      },
    ]);
    const component = result.raw.find((r) => r.type === "airflow-secrets:fernet:FernetReencryptJob")!;
    const backend = result.raw.find(
      (r) => /AirflowSecrets$/.test(r.type) && r.type !== "airflow-secrets:index:AirflowSecretsEnvironment",
    );
    expect(backend).toBeDefined();
    // Pulumi turns a dependency on a component into one on every resource under it.
    const under = new Set([backend!.urn]);
    for (const r of result.raw) if (r.parent !== undefined && under.has(r.parent)) under.add(r.urn);
    const stored = result.raw.filter((r) => r.custom && under.has(r.urn));
    expect(stored.length).toBeGreaterThan(0);
    for (const r of stored) expect(component.dependencies).toContain(r.urn);
    expect(result.outputs.fernetNextStep).toMatch(/rotationInProgress: false/);
  });

  test("outside a rotation: no Job, and no next step", async () => {
    const result = await synth(file, { generations: ["2026-q4", "2027-q1"], reencryptJob: job });
    expect(result.raw.filter((r) => r.type === "kubernetes:batch/v1:Job")).toEqual([]);
    expect(result.outputs.fernetNextStep).toBeUndefined();
  });
});

test("a rotation without the Job says to run the command", async () => {
  const result = await synth("stacks/Pulumi.prod.yaml", {
    generations: ["2026-q4", "2027-q1"],
    rotationInProgress: true,
  });
  expect(result.raw.filter((r) => r.type === "kubernetes:batch/v1:Job")).toEqual([]);
  expect(result.outputs.fernetNextStep).toMatch(/airflow rotate-fernet-key/);
});

test("the Job's settings are checked by the stack schema", async () => {
  await expect(
    synth("stacks/Pulumi.prod.yaml", {
      generations: ["2026-q4", "2027-q1"],
      rotationInProgress: true,
      reencryptJob: { image: "apache/airflow:3.1.5", metadataSecret: { name: "Not_A_Name" } },
    }),
  ).rejects.toThrow(/fernet\.reencryptJob\.metadataSecret\.name: must be a Kubernetes Secret name/);
});
