import { installMocks, resolveOutput } from "../../cli/synth/mockRuntime";
import { AirflowSecretsEnvironment } from "../../components/environment";
import { Problems, tryPlanSecrets } from "../../components/airflow";
import { EnvVarSecrets } from "../../components/kubernetes";
import { countWrapped, findUnwrappedSecrets } from "../support/secrets";

const session = installMocks({ project: "airflow-secrets", stack: "dev" });

const PASSWORD = "s3cr3t:/@%#?pw";
const TOKEN = "xoxb-very-secret-token";
const VARIABLE = "variable-secret-value";

const declarations = {
  connections: [
    {
      conn_id: "warehouse",
      conn_type: "postgres",
      host: "db",
      port: 5432,
      login: "airflow",
      password: PASSWORD,
      extra: { sslmode: "require" },
    },
    { conn_id: "slack", conn_type: "http", host: "hooks.slack.com", extra: { webhook_token: TOKEN } },
  ],
  variables: [{ key: "api_key", value: VARIABLE }],
};

describe("env-var backend", () => {
  let environment: AirflowSecretsEnvironment;

  beforeAll(async () => {
    environment = new AirflowSecretsEnvironment("dev", {
      environment: "dev",
      backend: "env",
      airflow: { version: "2.10" },
      kubernetes: { namespace: "airflow-dev", serviceAccount: "airflow" },
      declarations,
      fernet: { generations: ["2026-q4"] },
    });
    await resolveOutput(environment.backendOutputs.connectionsImportFile);
    await session.settle();
  });

  it("stores every connection and variable under the names Airflow reads, in one Secret", () => {
    const secret = session.resources.find((r) => r.type === "kubernetes:core/v1:Secret")!;
    const stringData = (secret.inputs.stringData as { value: Record<string, string> }).value;
    expect(Object.keys(stringData).sort()).toEqual([
      "AIRFLOW_CONN_SLACK",
      "AIRFLOW_CONN_WAREHOUSE",
      "AIRFLOW_VAR_API_KEY",
      "AIRFLOW__CORE__FERNET_KEY",
    ]);
    expect(JSON.parse(stringData.AIRFLOW_CONN_WAREHOUSE)).toEqual({
      conn_type: "postgres",
      host: "db",
      port: 5432,
      login: "airflow",
      password: PASSWORD,
      extra: '{"sslmode":"require"}',
    });
    expect(stringData.AIRFLOW_VAR_API_KEY).toBe(VARIABLE);
    expect(stringData.AIRFLOW__CORE__FERNET_KEY).toMatch(/^[A-Za-z0-9_-]{43}=$/);
  });

  it("wraps every secret value as a Pulumi secret in every registered resource", () => {
    const fernetKey = (
      session.resources.find((r) => r.type === "kubernetes:core/v1:Secret")!.inputs.stringData as {
        value: Record<string, string>;
      }
    ).value.AIRFLOW__CORE__FERNET_KEY;
    const needles = [PASSWORD, TOKEN, VARIABLE, fernetKey];
    expect(findUnwrappedSecrets(session.resources, needles)).toEqual([]);
    for (const needle of needles) expect(countWrapped(session.resources, needle)).toBeGreaterThan(0);
  });

  it("creates Airflow's service account and a ConfigMap with no secret in it", () => {
    const sa = session.resources.find((r) => r.type === "kubernetes:core/v1:ServiceAccount")!;
    expect(sa.inputs.metadata).toMatchObject({ name: "airflow", namespace: "airflow-dev" });
    const configMap = session.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap")!;
    expect(JSON.stringify(configMap.inputs)).not.toContain(PASSWORD);
  });

  it("exports the `airflow connections import` file as a secret", async () => {
    const file = await resolveOutput(environment.backendOutputs.connectionsImportFile as never);
    expect(file.secret).toBe(true);
    expect(JSON.parse(file.value as string).warehouse.password).toBe(PASSWORD);
  });

  it("registers nothing, not even the component, when a declaration is bad", async () => {
    await session.settle();
    const before = session.resources.length;
    expect(
      () =>
        new AirflowSecretsEnvironment("bad", {
          environment: "dev",
          backend: "env",
          airflow: { version: "2.10" },
          kubernetes: { namespace: "Airflow_Dev", serviceAccount: "airflow" },
          declarations: { connections: [{ conn_id: "a.b", conn_type: "http" }] },
        }),
    ).toThrow(
      /kubernetes\.namespace: must be a Kubernetes namespace name[\s\S]*connections\[a\.b\]\.conn_id: environment variable names/,
    );
    expect(
      () =>
        new EnvVarSecrets("bad2", {
          environment: "dev",
          namespace: "x",
          airflow: { version: "2.10" },
          declarations: { variables: [{ key: "", value: "v" }] },
        }),
    ).toThrow(/variables\[0\]\.key: is required/);
    await session.settle();
    expect(session.resources.length).toBe(before);
  });

  it("checks the backend's own settings before anything exists, and refuses another environment's plan", async () => {
    await session.settle();
    const before = session.resources.length;
    expect(
      () =>
        new AirflowSecretsEnvironment("bad-name", {
          environment: "dev",
          backend: "env",
          backendSettings: { secretName: "Airflow_Secrets" },
          airflow: { version: "2.10" },
          kubernetes: { namespace: "airflow-dev", serviceAccount: "airflow" },
          fernet: { generations: ["2026-q4"] },
          declarations,
        }),
    ).toThrow(/env\.secretName: must be a Kubernetes object name.*got "Airflow_Secrets"/);
    const stagingPlan = tryPlanSecrets(
      { backend: "env", environment: "staging", declarations, airflow: { version: "2.10" } },
      new Problems(),
    );
    expect(stagingPlan?.environment).toBe("staging");
    expect(
      () =>
        new EnvVarSecrets("mixed", {
          environment: "dev",
          namespace: "airflow-dev",
          airflow: { version: "2.10" },
          declarations,
          plan: stagingPlan,
        }),
    ).toThrow(/plan: must be the env backend's plan for "dev" \(got env for "staging"\)/);
    await session.settle();
    expect(session.resources.length).toBe(before);
  });

  it("names an unknown backend and the known ones", () => {
    expect(
      () =>
        new AirflowSecretsEnvironment("x", {
          environment: "dev",
          backend: "consul",
          airflow: { version: "2.10" },
          kubernetes: { namespace: "a", serviceAccount: "b" },
          declarations: {},
        }),
    ).toThrow(/backend: "consul" is not a known backend \(known: env, vault, aws, gcp, azure\)/);
  });
});
