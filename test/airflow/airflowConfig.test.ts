import { AirflowSettings, BackendKind, planSecrets, SecretsDeclarations } from "../../components/airflow";
import { askPython } from "../support/airflowSemantics";

const DECLARATIONS: SecretsDeclarations = {
  connections: [
    { conn_id: "warehouse", conn_type: "postgres", host: "h", password: "p" },
    { conn_id: "smtp_default", conn_type: "smtp", host: "mail" },
  ],
  variables: [{ key: "alert_email", value: "a@b.c" }],
  config: [{ section: "core", option: "fernet_key", value: "k" }],
};

const render = (
  backend: BackendKind,
  airflow: AirflowSettings,
  declarations = DECLARATIONS,
  extraKwargs?: Record<string, unknown>,
) => planSecrets({ backend, environment: "prod", airflow, declarations, extraKwargs }).airflowConfig;

describe("Airflow configuration rendering", () => {
  it("AWS: backend, kwargs with prefixes, sep, region and exact lookup patterns", () => {
    const config = render(
      "aws-secrets-manager",
      { version: "2.10", cache: { enabled: true, ttlSeconds: 600 } },
      DECLARATIONS,
      { region_name: "eu-west-1" },
    );
    expect(config.backendClass).toBe(
      "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
    );
    expect(config.backendKwargs).toMatchObject({
      connections_prefix: "airflow/prod/connections",
      variables_prefix: "airflow/prod/variables",
      config_prefix: "airflow/prod/config",
      sep: "/",
      region_name: "eu-west-1",
    });
    const kwargs = JSON.parse(config.env.AIRFLOW__SECRETS__BACKEND_KWARGS);
    const [connections, variables, configs] = askPython([
      {
        op: "match",
        pattern: kwargs.connections_lookup_pattern,
        ids: ["warehouse", "smtp_default", "smtp", "warehouse2"],
      },
      { op: "match", pattern: kwargs.variables_lookup_pattern, ids: ["alert_email", "warehouse"] },
      { op: "match", pattern: kwargs.config_lookup_pattern, ids: ["fernet_key", "sql_alchemy_conn"] },
    ]);
    expect(connections.ok).toEqual([true, true, false, false]);
    expect(variables.ok).toEqual([true, false]);
    expect(configs.ok).toEqual([true, false]);
    expect(config.env).toMatchObject({
      AIRFLOW__SECRETS__BACKEND: config.backendClass,
      AIRFLOW__SECRETS__USE_CACHE: "True",
      AIRFLOW__SECRETS__CACHE_TTL_SECONDS: "600",
      AIRFLOW__CORE__FERNET_KEY_SECRET: "fernet_key",
    });
  });

  it("keeps rotation masters out of the connections pattern: only the rotation function reads them", () => {
    const config = render(
      "aws-ssm",
      { version: "2.10" },
      {
        connections: [
          {
            conn_id: "warehouse",
            conn_type: "postgres",
            host: "h",
            login: "etl",
            password: "p",
            rotation: { strategy: "alternating-users", everyDays: 90, masterConnId: "warehouse_admin" },
          },
          { conn_id: "warehouse_admin", conn_type: "postgres", host: "h", login: "admin", password: "m" },
        ],
      },
    );
    const [lookups] = askPython([
      {
        op: "match",
        pattern: config.backendKwargs!.connections_lookup_pattern as string,
        ids: ["warehouse", "WAREHOUSE", "warehouse_admin"],
      },
    ]);
    // Case-exact: a case variant is not looked up (it would cost an API call and find nothing).
    expect(lookups.ok).toEqual([true, false, false]);
  });

  it("turns off lookups of a kind nothing is declared of (null prefix) and adds no pattern for it", () => {
    const config = render(
      "aws-secrets-manager",
      { version: "2.10" },
      { connections: DECLARATIONS.connections },
    );
    expect(config.backendKwargs).toMatchObject({ variables_prefix: null, config_prefix: null });
    expect(config.backendKwargs).not.toHaveProperty("variables_lookup_pattern");
  });

  it("Vault: kwargs VaultBackend accepts and no lookup patterns (it hands unknown kwargs to hvac)", () => {
    const config = render("vault", { version: "2.10" }, DECLARATIONS, {
      url: "https://vault:8200",
      auth_type: "kubernetes",
      kubernetes_role: "airflow-prod",
    });
    expect(config.backendKwargs).toEqual({
      mount_point: "airflow",
      kv_engine_version: 2,
      connections_path: "prod/connections",
      variables_path: "prod/variables",
      config_path: "prod/config",
      url: "https://vault:8200",
      auth_type: "kubernetes",
      kubernetes_role: "airflow-prod",
    });
  });

  it("GCP and Azure: prefixes and sep, no lookup patterns", () => {
    for (const backend of ["gcp-secret-manager", "azure-key-vault"] as const) {
      const kwargs = render(backend, { version: "2.10" }).backendKwargs!;
      expect(kwargs).toMatchObject({ connections_prefix: "airflow-prod-connections", sep: "-" });
      expect(Object.keys(kwargs).filter((k) => k.endsWith("lookup_pattern"))).toEqual([]);
    }
  });

  it("Airflow 3 also configures the workers' own backend", () => {
    const config = render("gcp-secret-manager", { version: "3.1" }, DECLARATIONS, { project_id: "p" });
    expect(config.env.AIRFLOW__WORKERS__SECRETS_BACKEND).toBe(config.backendClass);
    expect(config.env.AIRFLOW__WORKERS__SECRETS_BACKEND_KWARGS).toBe(
      config.env.AIRFLOW__SECRETS__BACKEND_KWARGS,
    );
    expect(render("gcp-secret-manager", { version: "2.10" }).env).not.toHaveProperty(
      "AIRFLOW__WORKERS__SECRETS_BACKEND",
    );
  });

  it("renders an airflow.cfg fragment with % escaped for configparser", () => {
    const config = render("vault", { version: "2.10" }, DECLARATIONS, { url: "https://vault:8200/%x" });
    expect(config.cfg).toContain(
      "[secrets]\nbackend = airflow.providers.hashicorp.secrets.vault.VaultBackend\n",
    );
    expect(config.cfg).toContain("%%x");
    expect(config.cfg).toContain("[core]\nfernet_key_secret = fernet_key\n");
    expect(config.env.AIRFLOW__SECRETS__BACKEND_KWARGS).toContain("/%x");
  });

  it("the env-var backend needs no [secrets] section and stores config options directly", () => {
    const plan = planSecrets({
      backend: "env",
      environment: "dev",
      airflow: { version: "2.10" },
      declarations: DECLARATIONS,
    });
    expect(plan.airflowConfig.options).toEqual([]);
    expect(plan.secrets.map((s) => s.name)).toEqual([
      "AIRFLOW_CONN_WAREHOUSE",
      "AIRFLOW_CONN_SMTP_DEFAULT",
      "AIRFLOW_VAR_ALERT_EMAIL",
      "AIRFLOW__CORE__FERNET_KEY",
    ]);
  });

  it("stores JSON connections unless the URI form is chosen (every supported line reads JSON)", () => {
    expect(render("env", { version: "2.10" }).connectionFormat).toBe("json");
    expect(render("env", { version: "3.1", connectionFormat: "uri" }).connectionFormat).toBe("uri");
  });
});
