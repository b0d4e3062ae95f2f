/**
 * The env backend through Pulumi's mock runtime: what the environment registers for it, and
 * `EnvAirflowSecrets` composed on its own from `resolveBackendOrThrow`. Its rules, tested purely, are
 * in resolve.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, resolveOutput } from "../../cli/synth/mockRuntime";
import { AirflowSecretsEnvironment } from "../../components/environment";
import { resolveBackendOrThrow } from "../../components/backend";
import { EnvAirflowSecrets, envBackend } from "../../components/env";
import { ENVIRONMENT_LABEL } from "../../components/core/labels";
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

const context = {
  environment: "dev",
  owner: "data-platform",
  declarations,
  airflow: { version: "2.10" },
  kubernetes: { namespace: "airflow-dev", serviceAccount: "airflow" },
};

type Recorded = (typeof session.resources)[number];
const secretsOf = (resources: readonly Recorded[]) =>
  resources.filter((r) => r.type === "kubernetes:core/v1:Secret");
const stringDataOf = (secret: Recorded) =>
  (secret.inputs.stringData as { value: Record<string, string> }).value;

describe("env backend in an environment", () => {
  let environment: AirflowSecretsEnvironment;
  let secret: Recorded;

  beforeAll(async () => {
    environment = AirflowSecretsEnvironment.fromConfig("dev", {
      environment: "dev",
      owner: "data-platform",
      backend: "env",
      airflow: { version: "2.10" },
      kubernetes: { namespace: "airflow-dev", serviceAccount: "airflow" },
      declarations,
      fernet: { generations: ["2026-q4"] },
    });
    await resolveOutput(environment.backendOutputs.connectionsImportFile);
    await session.settle();
    const secrets = secretsOf(session.resources);
    expect(secrets).toHaveLength(1);
    secret = secrets[0];
  });

  it("stores every connection and variable under the names Airflow reads, in one Secret", () => {
    const stringData = stringDataOf(secret);
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

  it("is EnvAirflowSecrets named {env}-env, answering to its type before the move", () => {
    const component = session.resources.find((r) => r.type === "airflow-secrets:env:EnvAirflowSecrets")!;
    expect(component.name).toBe("dev-env");
    expect(secret.parent).toBe(component.urn);
    // One alias: its old type, under the same parent (the engine derives the Secret's from it).
    expect(component.aliases).toEqual([
      expect.objectContaining({ type: "airflow-secrets:kubernetes:EnvVarSecrets", parent: component.parent }),
    ]);
    expect(component.aliases[0].name).toBeUndefined();
    expect(secret.aliases).toEqual([]);
  });

  it("labels the Secret with the one environment key, the owner and Kubernetes' recommended labels", () => {
    expect((secret.inputs.metadata as { labels: Record<string, string> }).labels).toEqual({
      "app.kubernetes.io/part-of": "airflow",
      "app.kubernetes.io/managed-by": "airflow-secrets",
      "managed-by": "airflow-secrets",
      [ENVIRONMENT_LABEL]: "dev",
      owner: "data-platform",
    });
    expect(secret.inputs.metadata).toMatchObject({ name: "airflow-dev-secrets", namespace: "airflow-dev" });
  });

  it("wraps every secret value as a Pulumi secret in every registered resource", () => {
    const fernetKey = stringDataOf(secret).AIRFLOW__CORE__FERNET_KEY;
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

  it("exports the `airflow connections import` file as a secret, and only outputs that exist", async () => {
    expect(Object.keys(environment.backendOutputs).sort()).toEqual([
      "connectionsImportFile",
      "envSecretName",
      "envVariableNames",
    ]);
    const file = await resolveOutput(environment.backendOutputs.connectionsImportFile as never);
    expect(file.secret).toBe(true);
    expect(JSON.parse(file.value as string).warehouse.password).toBe(PASSWORD);
  });

  it("keeps the per-declaration outputs out of the components' state: the stack exports them once", async () => {
    const registered = new Map<string, Record<string, unknown>>();
    type WithRegister = { registerOutputs(outputs?: unknown): void };
    const proto = pulumi.ComponentResource.prototype as unknown as WithRegister;
    const original = proto.registerOutputs;
    proto.registerOutputs = function (this: WithRegister & { __pulumiType: string }, outputs?: unknown) {
      registered.set(this.__pulumiType, (outputs ?? {}) as Record<string, unknown>);
      return original.call(this, outputs);
    };
    let second: AirflowSecretsEnvironment;
    try {
      second = AirflowSecretsEnvironment.fromConfig("dev-state", {
        environment: "state",
        backend: "env",
        airflow: { version: "2.10" },
        kubernetes: { namespace: "airflow-state", serviceAccount: "airflow" },
        declarations,
      });
    } finally {
      proto.registerOutputs = original;
    }
    await session.settle();
    const environmentState = registered.get("airflow-secrets:index:AirflowSecretsEnvironment")!;
    const envState = registered.get("airflow-secrets:env:EnvAirflowSecrets")!;
    expect(Object.keys(environmentState)).toEqual(
      expect.arrayContaining(["airflowConfig", "helmValues", "envSecretName"]),
    );
    for (const key of ["connectionsImportFile", "envVariableNames"]) {
      expect(environmentState).not.toHaveProperty(key);
      expect(second!.backendOutputs).toHaveProperty(key);
    }
    expect(Object.keys(envState)).toEqual(["secretName"]);
  });

  it("registers nothing, not even the component, when a declaration or a setting is bad", async () => {
    await session.settle();
    const before = session.resources.length;
    expect(() =>
      AirflowSecretsEnvironment.fromConfig("bad", {
        environment: "dev",
        backend: "env",
        backendSettings: { secretName: "Airflow_Secrets" },
        airflow: { version: "2.10" },
        kubernetes: { namespace: "Airflow_Dev", serviceAccount: "airflow" },
        declarations: { connections: [{ conn_id: "a.b", conn_type: "http" }] },
      }),
    ).toThrow(
      /(?=[\s\S]*kubernetes\.namespace: must be a Kubernetes namespace name)(?=[\s\S]*connections\[a\.b\]\.conn_id: environment variable names)(?=[\s\S]*env\.secretName: must be a Kubernetes object name)/,
    );
    await session.settle();
    expect(session.resources.length).toBe(before);
  });

  it("names an unknown backend and the known ones", () => {
    expect(() =>
      AirflowSecretsEnvironment.fromConfig("x", {
        environment: "dev",
        backend: "consul",
        airflow: { version: "2.10" },
        kubernetes: { namespace: "a", serviceAccount: "b" },
        declarations: {},
      }),
    ).toThrow(/backend: "consul" is not a known backend \(known: env, vault, aws, gcp, azure\)/);
  });
});

describe("EnvAirflowSecrets composed on its own", () => {
  it("builds from resolveBackendOrThrow, with the settings it was given", async () => {
    await session.settle();
    const before = session.resources.length;
    const secrets = new EnvAirflowSecrets(
      "solo",
      resolveBackendOrThrow(envBackend, context, { secretName: "warehouse.airflow-env" }),
    );
    await session.settle();
    const added = session.resources.slice(before);
    expect(added.map((r) => r.type).sort()).toEqual([
      "airflow-secrets:env:EnvAirflowSecrets",
      "kubernetes:core/v1:Secret",
    ]);
    expect(secretsOf(added)[0].inputs.metadata).toMatchObject({ name: "warehouse.airflow-env" });
    expect(Object.keys(secrets.deployment).sort()).toEqual([
      "airflowConfig",
      "envFromSecrets",
      "outputs",
      "perDeclarationOutputs",
    ]);
    expect(secrets.deployment.perDeclarationOutputs).toEqual(["envVariableNames", "connectionsImportFile"]);
    expect(secrets.deployment.envFromSecrets).toHaveLength(1);
    const envFrom = secrets.deployment.envFromSecrets![0];
    expect((await resolveOutput(envFrom.name)).value).toBe("warehouse.airflow-env");
    const data = await resolveOutput(envFrom.data);
    expect(data.secret).toBe(true);
    expect(Object.keys(data.value).sort()).toEqual(secrets.variableNames);
    expect(secrets.variableNames).toEqual([
      "AIRFLOW_CONN_SLACK",
      "AIRFLOW_CONN_WAREHOUSE",
      "AIRFLOW_VAR_API_KEY",
    ]);
    expect(secrets.deployment.airflowConfig.env.AIRFLOW__SECRETS__BACKEND).toBeUndefined();
  });

  it("refuses bad settings in resolveBackendOrThrow, before anything exists", async () => {
    await session.settle();
    const before = session.resources.length;
    expect(() =>
      resolveBackendOrThrow(envBackend, context, { secretName: "Airflow_Secrets", extra: true } as never),
    ).toThrow(/env\.secretName: must be a Kubernetes object name[\s\S]*env\.extra: is not a known setting/);
    await session.settle();
    expect(session.resources.length).toBe(before);
  });

  it("does not validate in its constructor: it registers exactly what resolve produced", async () => {
    const resolved = resolveBackendOrThrow(envBackend, context, {});
    await session.settle();
    const before = session.resources.length;
    // A resolved value resolve would never produce: the constructor builds it as given, unchecked.
    new EnvAirflowSecrets("unchecked", {
      ...resolved,
      shards: [{ ...resolved.shards[0], secretName: "Not_A_Kubernetes_Name" }],
    });
    await session.settle();
    const secret = secretsOf(session.resources.slice(before));
    expect(secret).toHaveLength(1);
    expect(secret[0].inputs.metadata).toMatchObject({ name: "Not_A_Kubernetes_Name" });
  });
});
