/**
 * The env backend at 10,000 connections, through Pulumi's mock runtime: the variables no longer fit
 * one Kubernetes Secret, so they are spread over several (components/env/shards.ts). Each recorded
 * Secret is counted as the API server counts it (`ValidateSecret`: the decoded bytes of every data
 * value, k8s.io/kubernetes pkg/apis/core/validation/validation.go, v1.34), and every consumer reads
 * all of them: the chart values' `extraEnvFrom` and checksum, and the Fernet re-encryption Job.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { parse } from "yaml";
import { installMocks, resolveOutput } from "../../cli/synth/mockRuntime";
import { AirflowSecretsEnvironment } from "../../components/environment";
import { SECRET_MAX_BYTES } from "../../components/env/shards";
import { contentChecksum, SECRET_CHECKSUM_ANNOTATION } from "../../components/helm/chartValues";
import { findUnwrappedSecrets } from "../support/secrets";
import { manyPostgresConnections } from "./manyConnections";

jest.setTimeout(120_000);

const session = installMocks({ project: "airflow-secrets", stack: "dev" });
const SCHEMA = path.resolve(__dirname, "../../../shared/airflow-helm-chart/values.schema.json");

const COUNT = 10_000;
const connections = manyPostgresConnections(COUNT, (i) => `split-secret-${i}-${"p".repeat(60)}`);

type Recorded = (typeof session.resources)[number];
const dataOf = (secret: Recorded) => (secret.inputs.stringData as { value: Record<string, string> }).value;
/** What `ValidateSecret` sums: the bytes of each value once stringData is merged into data. */
const apiServerBytes = (data: Record<string, string>) =>
  Object.values(data).reduce(
    (sum, v) => sum + Buffer.from(Buffer.from(v).toString("base64"), "base64").length,
    0,
  );

describe("env backend with 10,000 connections", () => {
  let environment: AirflowSecretsEnvironment;
  let secrets: Recorded[];
  let helmValues: Record<string, unknown>;

  beforeAll(async () => {
    environment = AirflowSecretsEnvironment.fromConfig("dev", {
      environment: "dev",
      backend: "env",
      airflow: { version: "2.10" },
      kubernetes: { namespace: "airflow-dev", serviceAccount: "airflow" },
      declarations: { connections, variables: [{ key: "alert_email", value: "alerts@example.com" }] },
      fernet: {
        generations: ["2026-q4", "2027-q1"],
        rotationInProgress: true,
        reencryptJob: { image: "apache/airflow:2.10.5", metadataSecret: { name: "airflow-metadata" } },
      },
    });
    helmValues = (await resolveOutput(environment.helmValues)).value as Record<string, unknown>;
    await session.settle();
    // In bucket order (the engine records them as their inputs resolve).
    const index = (r: Recorded) => Number(/-(\d+)$/.exec(r.name)?.[1] ?? 0);
    secrets = session.resources
      .filter((r) => r.type === "kubernetes:core/v1:Secret")
      .sort((a, b) => index(a) - index(b));
  });

  it("spreads the variables over several Secrets, each within Kubernetes' 1 MiB as the API server counts", () => {
    expect(secrets.length).toBeGreaterThan(1);
    const total = secrets.reduce((sum, s) => sum + apiServerBytes(dataOf(s)), 0);
    expect(total).toBeGreaterThan(SECRET_MAX_BYTES);
    for (const secret of secrets)
      expect(apiServerBytes(dataOf(secret))).toBeLessThanOrEqual(SECRET_MAX_BYTES);
  });

  it("puts every variable in exactly one Secret, under the name Airflow reads", () => {
    const keys = secrets.flatMap((s) => Object.keys(dataOf(s)));
    expect(keys.length).toBe(new Set(keys).size);
    expect(keys.length).toBe(COUNT + 2); // the connections, the variable and the Fernet key
    expect(keys).toContain("AIRFLOW_CONN_CONN_9999");
    expect(keys).toContain("AIRFLOW__CORE__FERNET_KEY");
    const warehouse = secrets.map(dataOf).find((d) => d.AIRFLOW_CONN_CONN_42 !== undefined)!;
    expect(JSON.parse(warehouse.AIRFLOW_CONN_CONN_42)).toMatchObject({
      host: "db42.dev.internal",
      login: "user_42",
    });
  });

  it("keeps the first Secret's resource name and Kubernetes name; the others are suffixed", () => {
    const [first, ...others] = secrets;
    expect(first.name).toBe("dev-env-secret");
    expect(first.inputs.metadata).toMatchObject({ name: "airflow-dev-secrets" });
    expect(others.length).toBeGreaterThan(0);
    for (const secret of others) {
      const index = /^dev-env-secret-(\d+)$/.exec(secret.name)?.[1];
      expect(index).toBeDefined();
      expect(secret.inputs.metadata).toMatchObject({ name: `airflow-dev-secrets-${index}` });
    }
  });

  it("wraps every Secret's data as a Pulumi secret", () => {
    for (const secret of secrets)
      expect(findUnwrappedSecrets([secret], [connections[0].password])).toEqual([]);
    const holder = secrets.find((s) => dataOf(s).AIRFLOW_CONN_CONN_0 !== undefined)!;
    expect(JSON.stringify(holder.inputs.stringData)).toContain("4dabf18193072939515e22adb298388d");
  });

  it("lists every Secret in the chart's extraEnvFrom, and sums all of them in the checksum", () => {
    const envFrom = parse(helmValues.extraEnvFrom as string) as Array<Record<string, { name: string }>>;
    const names = secrets.map((s) => (s.inputs.metadata as { name: string }).name);
    expect(envFrom.filter((e) => e.secretRef).map((e) => e.secretRef.name)).toEqual(names);
    const all = Object.assign({}, ...secrets.map(dataOf));
    expect((helmValues.airflowPodAnnotations as Record<string, string>)[SECRET_CHECKSUM_ANNOTATION]).toBe(
      contentChecksum(all),
    );
    expect(environment.backendOutputs.envSecretNames).toBeDefined();
  });

  // ../shared is absent outside this workspace.
  (fs.existsSync(SCHEMA) ? it : it.skip)("gives chart values the chart's own schema accepts", () => {
    const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(
      JSON.parse(fs.readFileSync(SCHEMA, "utf8")),
    );
    expect(validate(helmValues) ? [] : validate.errors).toEqual([]);
  });

  it("loads every Secret into the Fernet re-encryption Job", () => {
    const job = session.resources.find((r) => r.type === "kubernetes:batch/v1:Job")!;
    const container = (
      job.inputs as { spec: { template: { spec: { containers: Array<{ envFrom: unknown[] }> } } } }
    ).spec.template.spec.containers[0];
    const names = secrets.map((s) => (s.inputs.metadata as { name: string }).name);
    expect(container.envFrom.filter((e) => (e as { secretRef?: unknown }).secretRef)).toEqual(
      names.map((name) => ({ secretRef: { name } })),
    );
  });
});
