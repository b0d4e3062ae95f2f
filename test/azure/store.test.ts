/**
 * The vault and the connection store as a whole environment synthesises them: Airflow's own naming
 * rule, collisions, vault hardening, secret wrapping, content types, stable expiries, Fernet
 * protection, and the Airflow configuration that reads it all.
 */
import { installMocks, isSecretValue } from "../../cli/synth/mockRuntime";
import { CI_PRINCIPAL, one, ofType, prodSettings, prop, unwrap } from "./helpers";

/* eslint-disable @typescript-eslint/no-require-imports -- components load only after the mocks are installed */
const session = installMocks({ project: "airflow-secrets", stack: "prod" });
import type * as Environment from "../../components/environment";
import type * as Airflow from "../../components/airflow";
const { AirflowSecretsEnvironment } = require("../../components/environment") as typeof Environment;
const { backendProfile, ValidationError } = require("../../components/airflow") as typeof Airflow;

const VAULT = "azure-native:keyvault:Vault";
const SECRET = "azure-native:keyvault:Secret";

/**
 * Airflow's `AzureKeyVaultBackend.build_path`, transcribed from the provider: `{prefix}{sep}{id}`
 * (no separator after an empty prefix), then every `_` of the whole path becomes `sep`.
 */
function airflowBuildPath(prefix: string, id: string, sep = "-"): string {
  const path = prefix === "" ? id : `${prefix}${sep}${id}`;
  return path.split("_").join(sep);
}

const declarations = {
  connections: [
    {
      conn_id: "warehouse_pg",
      conn_type: "postgres",
      host: "pg.internal",
      port: 5432,
      schema: "analytics",
      login: "airflow",
      password: "s3cret-pw",
      extra: { sslmode: "verify-full" },
      rotation: { strategy: "single-user" as const, everyDays: 30 },
    },
    { conn_id: "my_conn", conn_type: "http", host: "api.example.com", password: "token-123" },
  ],
  variables: [{ key: "alert_email", value: "oncall@example.com" }],
};

function environment(settings = prodSettings(), decls: Airflow.SecretsDeclarations = declarations) {
  return AirflowSecretsEnvironment.fromConfig("prod", {
    environment: "prod",
    backend: "azure",
    backendSettings: settings,
    declarations: decls,
    airflow: { version: "2.10" },
    kubernetes: { namespace: "airflow-prod", serviceAccount: "airflow" },
    fernet: { generations: ["2026-q4"] },
  });
}

let env: InstanceType<typeof AirflowSecretsEnvironment>;
beforeAll(async () => {
  env = environment();
  await session.settle();
});

describe("connection store", () => {
  test("every secret is named exactly as Airflow's AzureKeyVaultBackend looks it up", () => {
    const names = ofType(session.resources, SECRET).map((r) => prop(r, "secretName") as string);
    const profile = backendProfile("azure-key-vault");
    const layout = profile.defaultLayout("prod");
    const expected = [
      airflowBuildPath("airflow-prod-connections", "warehouse_pg"),
      airflowBuildPath("airflow-prod-connections", "my_conn"),
      airflowBuildPath("airflow-prod-variables", "alert_email"),
      airflowBuildPath("airflow-prod-config", "fernet_key"),
    ];
    expect(expected).toEqual([
      profile.storageName(layout, "connection", "warehouse_pg"),
      profile.storageName(layout, "connection", "my_conn"),
      profile.storageName(layout, "variable", "alert_email"),
      profile.storageName(layout, "config", "fernet_key"),
    ]);
    expect(expected).toContain("airflow-prod-connections-my-conn");
    // The four Airflow reads and nothing else: the rotator's journal of the rotated connection is a
    // blob of its own storage, written at run time, not a secret of this vault.
    expect(names.sort()).toEqual([...expected].sort());
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9-]{1,127}$/);
  });

  test("the kwargs Airflow gets point at this vault and this layout", () => {
    const vaultName = prop(one(session.resources, VAULT), "vaultName") as string;
    expect(vaultName).toMatch(/^kv-airflow-prod-[0-9a-f]{5}$/);
    expect(env.airflowConfig.backendClass).toBe(
      "airflow.providers.microsoft.azure.secrets.key_vault.AzureKeyVaultBackend",
    );
    expect(env.airflowConfig.backendKwargs).toEqual({
      vault_url: `https://${vaultName}.vault.azure.net/`,
      connections_prefix: "airflow-prod-connections",
      variables_prefix: "airflow-prod-variables",
      config_prefix: "airflow-prod-config",
      sep: "-",
    });
    expect(env.airflowConfig.env.AIRFLOW__CORE__FERNET_KEY_SECRET).toBe("fernet_key");
    // No lookup patterns: AzureKeyVaultBackend passes unknown kwargs to its client.
    expect(Object.keys(env.airflowConfig.backendKwargs ?? {}).some((k) => k.includes("lookup_pattern"))).toBe(
      false,
    );
  });

  test("values are secret, typed, and carry a stable expiry", () => {
    const secrets = ofType(session.resources, SECRET);
    for (const secret of secrets) expect(isSecretValue(secret.inputs.properties)).toBe(true);
    const byName = (name: string) => secrets.find((s) => prop(s, "secretName") === name)!;
    const conn = prop(byName("airflow-prod-connections-my-conn"), "properties") as Record<string, unknown>;
    expect(conn.contentType).toBe("application/json");
    expect(JSON.parse(conn.value as string)).toEqual({
      conn_type: "http",
      host: "api.example.com",
      password: "token-123",
    });
    const variable = prop(byName("airflow-prod-variables-alert-email"), "properties") as Record<
      string,
      unknown
    >;
    expect(variable.contentType).toBe("text/plain");
    expect(variable.value).toBe("oncall@example.com");

    // Default: 365 days from the start of the current UTC quarter, so two runs agree.
    const now = new Date();
    const quarter = Date.UTC(now.getUTCFullYear(), Math.floor(now.getUTCMonth() / 3) * 3, 1);
    const expires = (variable.attributes as { expires: number }).expires;
    expect(expires).toBe(quarter / 1000 + 365 * 86400);
    expect(expires * 1000).toBeGreaterThan(now.getTime());
  });

  test("a rotated connection first expires 30 days after the next month starts (its first NearExpiry)", () => {
    const rotated = ofType(session.resources, SECRET).find(
      (s) => prop(s, "secretName") === "airflow-prod-connections-warehouse-pg",
    )!;
    const now = new Date();
    const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    const attributes = (prop(rotated, "properties") as { attributes: { expires: number } }).attributes;
    expect(attributes.expires).toBe(nextMonth / 1000 + 30 * 86400);
    // Within the checklist's 90 days whatever the day of the month.
    expect(attributes.expires * 1000 - now.getTime()).toBeLessThanOrEqual(61 * 86400_000);
    expect(prop(rotated, "tags")).toMatchObject({
      rotation: "single-user/30d",
      "airflow-id": "warehouse_pg",
    });
  });

  test("the Fernet key (and only it) is protected and retained in production", () => {
    const secrets = ofType(session.resources, SECRET);
    const fernet = secrets.find((s) => prop(s, "secretName") === "airflow-prod-config-fernet-key")!;
    expect([fernet.protect, fernet.retainOnDelete]).toEqual([true, true]);
    const value = (prop(fernet, "properties") as { value: string }).value;
    expect(Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64")).toHaveLength(32);
    for (const other of secrets.filter((s) => s !== fernet)) expect(other.protect).toBe(false);
  });
});

describe("vault", () => {
  test("RBAC only, soft delete 90 days, purge protection, firewall default Deny with the listed rules", () => {
    const vault = one(session.resources, VAULT);
    const properties = prop(vault, "properties") as Record<string, unknown>;
    expect(properties).toMatchObject({
      enableRbacAuthorization: true,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 90,
      enablePurgeProtection: true,
      sku: { family: "A", name: "standard" },
      tenantId: "11111111-1111-1111-1111-111111111111",
      publicNetworkAccess: "Enabled",
    });
    expect(properties.accessPolicies).toBeUndefined();
    expect(properties.networkAcls).toMatchObject({
      defaultAction: "Deny",
      bypass: "None",
      ipRules: [{ value: "203.0.113.0/24" }],
    });
    expect((properties.networkAcls as { virtualNetworkRules: unknown[] }).virtualNetworkRules).toHaveLength(
      1,
    );
    expect(prop(vault, "tags")).toMatchObject({
      "managed-by": "airflow-secrets",
      "airflow-secrets-environment": "prod",
    });
    expect([vault.protect, vault.retainOnDelete]).toEqual([true, true]);
  });

  test("secrets are created in the vault's group and after the vault", () => {
    const vault = one(session.resources, VAULT);
    for (const secret of ofType(session.resources, SECRET)) {
      expect(prop(secret, "vaultName")).toBe(prop(vault, "vaultName"));
      expect(prop(secret, "resourceGroupName")).toBe("rg-airflow-prod");
    }
  });

  test("settings not given are not invented: the CI writer is the configured principal", () => {
    const assignments = ofType(session.resources, "azure-native:authorization:RoleAssignment").filter(
      (r) => prop(r, "principalId") === CI_PRINCIPAL,
    );
    expect(assignments).toHaveLength(1);
  });
});

describe("collisions and team names", () => {
  const registeredBefore = () => session.resources.length;

  test("my_conn and My-Conn are one Key Vault secret: rejected before anything is registered", async () => {
    const before = registeredBefore();
    let error: unknown;
    try {
      environment(prodSettings(), {
        connections: [
          { conn_id: "my_conn", conn_type: "http", host: "a.example.com" },
          { conn_id: "My-Conn", conn_type: "http", host: "b.example.com" },
        ],
      });
    } catch (e) {
      error = e;
    }
    await session.settle();
    expect(error).toBeInstanceOf(ValidationError);
    const problems = (error as InstanceType<typeof ValidationError>).problems;
    expect(problems).toContainEqual(
      expect.objectContaining({
        path: "connections[My-Conn].conn_id",
        rule: expect.stringContaining(
          'same secret as connections[my_conn].conn_id ("airflow-prod-connections-my-conn")',
        ),
      }),
    );
    expect(session.resources.length).toBe(before);
  });

  test("an id Airflow reads as team-scoped is rejected; a connection named like an old journal is not", async () => {
    const before = registeredBefore();
    const attempt = () =>
      environment(prodSettings(), {
        connections: [
          { conn_id: "sales__warehouse", conn_type: "http", host: "a.example.com" },
          {
            conn_id: "db",
            conn_type: "postgres",
            host: "db",
            login: "u",
            password: "p",
            rotation: { strategy: "single-user", everyDays: 30 },
          },
          { conn_id: "db_rotation_pending", conn_type: "http", host: "b.example.com" },
        ],
      });
    expect(attempt).toThrow(/team-scoped/);
    // Journals are not in the vault any more, so no stored name can shadow one.
    expect(attempt).not.toThrow(/journal/);
    await session.settle();
    expect(session.resources.length).toBe(before);
  });
});

test("the recorded inputs hold no plaintext password outside a secret wrapper", () => {
  const strip = (value: unknown): unknown => {
    if (isSecretValue(value)) return "[secret]";
    if (Array.isArray(value)) return value.map(strip);
    if (value !== null && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v)]));
    return value;
  };
  const visible = JSON.stringify(session.resources.map((r) => strip(r.inputs)));
  expect(visible).not.toContain("s3cret-pw");
  expect(visible).not.toContain("token-123");
  expect(JSON.stringify(unwrap(session.resources.map((r) => r.inputs)))).toContain("s3cret-pw");
});
