/**
 * The Vault backend under Pulumi's mock runtime: whole environments (staging and production) through
 * `AirflowSecretsEnvironment`, and the components directly. Checks the stored paths and data keys
 * against Airflow's rules, secretness of every stored value, policies against the store's own paths,
 * production protections, and that bad input registers nothing.
 */
import { RecordedResource, installMocks, isSecretValue, resolveOutput } from "../../cli/synth/mockRuntime";
import { VaultAcl } from "../support/vaultAcl";

const session = installMocks({ project: "airflow-secrets", stack: "test" });

/* eslint-disable @typescript-eslint/no-require-imports */
const { AirflowSecretsEnvironment } =
  require("../../components/environment") as typeof import("../../components/environment");
const vaultComponents = require("../../components/vault") as typeof import("../../components/vault");
const { AIRFLOW_CONNECTION_FIELDS, ValidationError, planSecrets } =
  require("../../components/airflow") as typeof import("../../components/airflow");
const { revocationStatements } =
  require("../../components/vault/databaseStatements") as typeof import("../../components/vault/databaseStatements");
/* eslint-enable @typescript-eslint/no-require-imports */

const WAREHOUSE_PASSWORD = "pg-Pa55word-with-%-and-@";
const SLACK_TOKEN = "xoxb-slack-token-value";
const DB_ROOT_PASSWORD = "vault-root-db-password";

const declarations = {
  connections: [
    {
      conn_id: "warehouse",
      conn_type: "postgres",
      description: "Analytics warehouse",
      host: "warehouse.internal",
      port: 5432,
      schema: "analytics",
      login: "airflow",
      password: WAREHOUSE_PASSWORD,
      extra: { sslmode: "verify-full" },
    },
    {
      conn_id: "slack_alerts",
      conn_type: "http",
      host: "hooks.slack.com",
      extra: { webhook_token: SLACK_TOKEN },
    },
  ],
  variables: [{ key: "alert_email", value: "alerts@example.com" }],
};

function environment(env: string, production: boolean, vault: Record<string, unknown>) {
  return AirflowSecretsEnvironment.fromConfig(env, {
    environment: env,
    production,
    owner: "data-platform",
    backend: "vault",
    backendSettings: vault,
    declarations,
    airflow: { version: "2.10", cache: { enabled: true, ttlSeconds: 600 } },
    kubernetes: { namespace: `airflow-${env}`, serviceAccount: "airflow" },
    fernet: { generations: ["2026-q4"] },
  });
}

const staging = environment("staging", false, {
  address: "https://vault.staging.internal:8200",
  kubernetesAuth: { audience: "vault" },
  database: {
    host: "warehouse.internal",
    database: "analytics",
    username: "vault_admin",
    password: DB_ROOT_PASSWORD,
  },
  ciWriter: {
    boundAudiences: ["https://github.com/acme"],
    repository: "acme/airflow-infra",
    environment: "staging",
  },
});
const prod = environment("prod", true, {
  address: "https://vault.prod.internal:8200",
  kubernetesAuth: { mount: "k8s-prod" },
});

beforeAll(() => session.settle());

const resources = (type: string, env: string) =>
  session.resources.filter((r) => r.type === type && r.name.startsWith(`${env}-`));
const one = (type: string, env: string) => {
  const found = resources(type, env);
  expect(found).toHaveLength(1);
  return found[0];
};
const unwrap = (value: unknown) => (isSecretValue(value) ? value.value : value);
const secretsOf = (env: string) => resources("vault:kv/secretV2:SecretV2", env);

describe("KV store", () => {
  test("one KV v2 secret per declaration, at the contract's path in the airflow mount", () => {
    const names = secretsOf("staging")
      .map((r) => `${r.inputs.mount}/${r.inputs.name}`)
      .sort();
    expect(names).toEqual([
      "airflow/staging/config/fernet_key",
      "airflow/staging/connections/slack_alerts",
      "airflow/staging/connections/warehouse",
      "airflow/staging/variables/alert_email",
    ]);
    const mount = one("vault:index/mount:Mount", "staging-vault-kv");
    expect(mount.inputs).toMatchObject({ path: "airflow", type: "kv", options: { version: "2" } });
  });

  test("every stored value is a secret, and no secret appears anywhere in plaintext", () => {
    for (const secret of session.resources.filter((r) => r.type === "vault:kv/secretV2:SecretV2")) {
      expect(isSecretValue(secret.inputs.dataJson)).toBe(true);
    }
    const plaintext = JSON.stringify(
      session.resources.map((r) =>
        JSON.parse(JSON.stringify(r.inputs, (_k, v) => (isSecretValue(v) ? "[secret]" : v))),
      ),
    );
    for (const secret of [WAREHOUSE_PASSWORD, SLACK_TOKEN, DB_ROOT_PASSWORD])
      expect(plaintext).not.toContain(secret);
  });

  test("connections hold only keys Airflow's VaultBackend accepts; variables and config hold `value`", () => {
    for (const secret of secretsOf("staging")) {
      const data = JSON.parse(unwrap(secret.inputs.dataJson) as string) as Record<string, unknown>;
      const name = secret.inputs.name as string;
      if (name.startsWith("staging/connections/")) {
        expect(
          Object.keys(data).every((k) => (AIRFLOW_CONNECTION_FIELDS as readonly string[]).includes(k)),
        ).toBe(true);
        expect(data.conn_type).toBeDefined();
      } else {
        expect(Object.keys(data)).toEqual(["value"]);
        expect(typeof data.value).toBe("string");
      }
    }
    const warehouse = secretsOf("staging").find((s) => s.inputs.name === "staging/connections/warehouse")!;
    expect(JSON.parse(unwrap(warehouse.inputs.dataJson) as string)).toEqual({
      conn_type: "postgres",
      description: "Analytics warehouse",
      host: "warehouse.internal",
      port: 5432,
      schema: "analytics",
      login: "airflow",
      password: WAREHOUSE_PASSWORD,
      extra: JSON.stringify({ sslmode: "verify-full" }),
    });
    const fernet = secretsOf("staging").find((s) => s.inputs.name === "staging/config/fernet_key")!;
    const key = JSON.parse(unwrap(fernet.inputs.dataJson) as string).value as string;
    expect(Buffer.from(key, "base64url")).toHaveLength(32);
  });

  test("writes never read back (the writer cannot read), and history follows the environment", () => {
    for (const secret of secretsOf("staging"))
      expect(secret.inputs).toMatchObject({ disableRead: true, deleteAllVersions: true });
    for (const secret of secretsOf("prod"))
      expect(secret.inputs).toMatchObject({ disableRead: true, deleteAllVersions: false });
    expect(one("vault:kv/secretBackendV2:SecretBackendV2", "staging").inputs).toEqual({
      mount: "airflow",
      maxVersions: 5,
      casRequired: false,
      deleteVersionAfter: 0,
    });
    expect(one("vault:kv/secretBackendV2:SecretBackendV2", "prod").inputs).toMatchObject({ maxVersions: 10 });
  });

  test("production protects the mount and the Fernet key, not ordinary connections", () => {
    const mount = one("vault:index/mount:Mount", "prod-vault-kv");
    expect([mount.protect, mount.retainOnDelete]).toEqual([true, true]);
    const byName = (name: string) => secretsOf("prod").find((s) => s.inputs.name === name)!;
    expect([
      byName("prod/config/fernet_key").protect,
      byName("prod/config/fernet_key").retainOnDelete,
    ]).toEqual([true, true]);
    expect(byName("prod/connections/warehouse").protect).toBe(false);
    expect(one("vault:index/mount:Mount", "staging-vault-kv").protect).toBe(false);
    for (const secret of secretsOf("staging")) expect(secret.protect).toBe(false);
  });

  test("URI connections are stored as {conn_uri}", async () => {
    const plan = planSecrets({
      backend: "vault",
      environment: "qa",
      // The URI form has no description field, so the contract refuses one there.
      declarations: { connections: [{ ...declarations.connections[0], description: undefined }] },
      airflow: { version: "2.10", connectionFormat: "uri" },
      layout: { mountPoint: "airflow" },
    });
    const store = new vaultComponents.VaultKvStore("uri-store", {
      environment: "qa",
      plan,
      existing: { mount: "airflow" },
    });
    await session.settle();
    const secret = session.resources.find(
      (r) => r.type === "vault:kv/secretV2:SecretV2" && r.name.startsWith("uri-store-"),
    )!;
    const data = JSON.parse(unwrap(secret.inputs.dataJson) as string);
    expect(Object.keys(data)).toEqual(["conn_uri"]);
    expect(data.conn_uri).toBe(
      "postgres://airflow:pg-Pa55word-with-%25-and-%40@warehouse.internal:5432/analytics?sslmode=verify-full",
    );
    // Bring-your-own mount: nothing mounted or tuned.
    expect(
      session.resources.filter(
        (r) => r.name.startsWith("uri-store-") && r.type !== "vault:kv/secretV2:SecretV2" && r.custom,
      ),
    ).toEqual([]);
    expect(store.secretPaths).toEqual(["airflow/data/qa/connections/warehouse"]);
  });
});

describe("Airflow configuration", () => {
  test("backend_kwargs name the store and Kubernetes auth, and nothing hvac would not understand", async () => {
    const config = (await resolveOutput(staging.airflowConfig)).value;
    expect(config.backendClass).toBe("airflow.providers.hashicorp.secrets.vault.VaultBackend");
    expect(config.backendKwargs).toEqual({
      url: "https://vault.staging.internal:8200",
      mount_point: "airflow",
      connections_path: "staging/connections",
      variables_path: "staging/variables",
      config_path: "staging/config",
      kv_engine_version: 2,
      auth_type: "kubernetes",
      kubernetes_role: "airflow-staging",
    });
    expect(config.env.AIRFLOW__SECRETS__BACKEND_KWARGS).not.toMatch(/lookup_pattern/);
    expect(config.env.AIRFLOW__CORE__FERNET_KEY_SECRET).toBe("fernet_key");
  });

  test("a non-default Kubernetes auth mount is passed as auth_mount_point", () => {
    expect(prod.airflowConfig.backendKwargs).toMatchObject({
      auth_mount_point: "k8s-prod",
      kubernetes_role: "airflow-prod",
    });
  });
});

describe("identities and policies", () => {
  const policyText = (env: string, role: "reader" | "writer") =>
    session.resources.find(
      (r) => r.type === "vault:index/policy:Policy" && r.name === `${env}-vault-policies-${role}`,
    )!.inputs.policy as string;

  test("the Kubernetes role binds exactly Airflow's service account to the reader policy with short tokens", () => {
    expect(one("vault:kubernetes/authBackendRole:AuthBackendRole", "staging").inputs).toEqual({
      backend: "kubernetes",
      roleName: "airflow-staging",
      boundServiceAccountNames: ["airflow"],
      boundServiceAccountNamespaces: ["airflow-staging"],
      audience: "vault",
      tokenPolicies: ["airflow-staging-reader"],
      tokenTtl: 3600,
      tokenMaxTtl: 14400,
      tokenNoDefaultPolicy: false,
    });
    expect(one("vault:kubernetes/authBackendRole:AuthBackendRole", "prod").inputs).toMatchObject({
      backend: "k8s-prod",
    });
  });

  test("the reader policy allows reading every stored path and the database credentials, the writer writing them", async () => {
    const reader = await VaultAcl.fromHcl(policyText("staging", "reader"));
    const writer = await VaultAcl.fromHcl(policyText("staging", "writer"));
    for (const secret of secretsOf("staging")) {
      const path = `${secret.inputs.mount}/data/${secret.inputs.name}`;
      expect([reader.allows("read", path), writer.allows("read", path)]).toEqual([true, false]);
      expect([
        reader.allows("update", path),
        writer.allows("update", path),
        writer.allows("create", path),
      ]).toEqual([false, true, true]);
    }
    for (const role of resources("vault:database/secretBackendRole:SecretBackendRole", "staging")) {
      expect(reader.allows("read", `${role.inputs.backend}/creds/${role.inputs.name}`)).toBe(true);
    }
    const prodReader = await VaultAcl.fromHcl(policyText("prod", "reader"));
    for (const secret of secretsOf("staging"))
      expect(prodReader.allows("read", `${secret.inputs.mount}/data/${secret.inputs.name}`)).toBe(false);
  });

  test("the production writer policy as deployed writes values but cannot touch metadata or versions", async () => {
    const writer = await VaultAcl.fromHcl(policyText("prod", "writer"));
    const stored = secretsOf("prod").map((s) => s.inputs.name as string);
    expect(stored.length).toBeGreaterThan(0);
    for (const name of stored) {
      expect(writer.allows("update", `airflow/data/${name}`)).toBe(true);
      for (const operation of ["create", "update", "patch", "delete"] as const)
        expect([operation, writer.allows(operation, `airflow/metadata/${name}`)]).toEqual([operation, false]);
      expect(writer.allows("delete", `airflow/data/${name}`)).toBe(false);
      expect(writer.allows("update", `airflow/delete/${name}`)).toBe(false);
      expect(writer.allows("update", `airflow/destroy/${name}`)).toBe(false);
    }
  });

  test("the CI writer role trusts one repository and environment, exactly, with the writer policy", () => {
    expect(one("vault:jwt/authBackendRole:AuthBackendRole", "staging").inputs).toMatchObject({
      backend: "jwt",
      roleName: "airflow-staging-ci",
      roleType: "jwt",
      boundAudiences: ["https://github.com/acme"],
      boundClaims: { repository: "acme/airflow-infra", environment: "staging" },
      boundClaimsType: "string",
      tokenPolicies: ["airflow-staging-writer"],
      tokenTtl: 900,
      tokenMaxTtl: 3600,
    });
    expect(resources("vault:jwt/authBackendRole:AuthBackendRole", "prod")).toEqual([]);
  });
});

describe("database secrets engine and audit", () => {
  test("the connection is templated, its root password secret, and only this environment's roles may use it", () => {
    const connection = one("vault:database/secretBackendConnection:SecretBackendConnection", "staging");
    expect(connection.inputs).toMatchObject({
      backend: "database",
      name: "airflow-staging-warehouse",
      verifyConnection: true,
      allowedRoles: ["airflow-staging-readonly", "airflow-staging-readwrite"],
    });
    expect(isSecretValue(connection.inputs.postgresql)).toBe(true);
    const postgresql = unwrap(connection.inputs.postgresql) as Record<string, unknown>;
    expect(postgresql).toEqual({
      connectionUrl:
        "postgresql://{{username}}:{{password}}@warehouse.internal:5432/analytics?sslmode=require",
      username: "vault_admin",
      password: DB_ROOT_PASSWORD,
    });
  });

  test("dynamic roles carry the tested statements and 1 h / 4 h TTLs", () => {
    const roles = resources("vault:database/secretBackendRole:SecretBackendRole", "staging");
    expect(roles.map((r) => r.inputs.name).sort()).toEqual([
      "airflow-staging-readonly",
      "airflow-staging-readwrite",
    ]);
    for (const role of roles) {
      expect(role.inputs).toMatchObject({
        dbName: "airflow-staging-warehouse",
        defaultTtl: 3600,
        maxTtl: 14400,
      });
      expect(role.inputs.revocationStatements).toEqual(revocationStatements({}));
    }
  });

  test("production enables an audit device by default that never logs raw secrets", () => {
    const audit = one("vault:index/audit:Audit", "prod");
    expect(audit.inputs).toMatchObject({
      type: "file",
      path: "airflow-prod-file",
      options: {
        file_path: "/vault/audit/airflow-prod.log",
        format: "json",
        log_raw: "false",
        hmac_accessor: "true",
        elide_list_responses: "true",
        mode: "0600",
      },
    });
    expect(audit.protect).toBe(true);
    expect(resources("vault:index/audit:Audit", "staging")).toEqual([]);
  });
});

describe("bad input registers nothing", () => {
  async function expectRejected(create: () => unknown, ...rules: RegExp[]) {
    await session.settle();
    const before = session.resources.length;
    let error: unknown;
    try {
      create();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    for (const rule of rules) expect((error as Error).message).toMatch(rule);
    await session.settle();
    expect(session.resources.length).toBe(before);
  }

  test("an environment with every kind of mistake lists them all and registers nothing", async () => {
    await expectRejected(
      () =>
        environment("qa", false, {
          address: "vault.internal",
          kubernetesAuth: { tokenTtlSeconds: 7200, tokenMaxTtlSeconds: 3600 },
          policies: {
            extraReaderRules: [
              { path: "airflow/data/prod/connections/*", capabilities: ["read"] },
              { path: "airflow/data/qa/connections/x", capabilities: ["raed"] },
            ],
          },
          database: {
            host: "db.internal",
            database: "analytics",
            username: "vault_admin",
            password: "x",
            roles: [
              { name: "readonly", access: "read-only", defaultTtlSeconds: 7200, maxTtlSeconds: 3600 },
              { name: "readwrite", access: "read-write", max_ttl: 60 },
            ],
          },
          layout: { connectionsPath: "../prod/connections" },
          adress: "typo",
        }),
      /vault\.address: must be Vault's URL/,
      /vault\.kubernetesAuth\.tokenMaxTtlSeconds: must be at least the default TTL;/,
      /vault\.database\.roles\[readonly\]\.maxTtlSeconds: must be at least the default TTL/,
      /vault\.layout\.connectionsPath: must be "qa\/<name>"/,
      /vault\.adress: is not a known setting \(known: address, /,
      /vault\.database\.roles\[1\]\.max_ttl: is not a known setting/,
      /vault\.policies\.extraReaderRules\[1\]\.capabilities\[0\]: must be one of "create"/,
    );
  });

  test("policy mistakes are reported once the layout is sound", async () => {
    await expectRejected(
      () =>
        environment("qa", false, {
          address: "https://vault.internal:8200",
          policies: {
            extraReaderRules: [
              { path: "airflow/data/prod/connections/*", capabilities: ["read"] },
              { path: "airflow/data/qa/connections/x", capabilities: ["raed"] },
              { path: "airflow/data/qa/../prod/x", capabilities: ["read"] },
            ],
          },
        }),
      /vault\.policies\.extraReaderRules\[0\]\.path: is outside environment "qa"/,
      /vault\.policies\.extraReaderRules\[1\]\.capabilities\[0\]: must be one of "create", "read"/,
      /vault\.policies\.extraReaderRules\[2\]\.path: must not contain empty, "\." or "\.\." segments/,
    );
  });

  test("production refuses plain http, an unbound CI writer and unverified database TLS", async () => {
    await expectRejected(
      () =>
        environment("prod", true, {
          address: "http://vault.prod.internal:8200",
          ciWriter: { boundAudiences: ["https://github.com/acme"], repository: "acme/*" },
          database: {
            host: "db",
            database: "analytics",
            username: "vault_admin",
            password: "x",
            sslmode: "require",
          },
        }),
      /vault\.address: production Vault must be reached over https/,
      /vault\.ciWriter\.repository: must be one repository "owner\/name", no wildcards/,
      /vault\.ciWriter\.environment: production writers must be bound/,
      /vault\.database\.sslmode: production connections must verify the server certificate/,
    );
  });

  test("settings that would be silently ignored are refused: tuning a mount owned elsewhere, another device type's options", async () => {
    await expectRejected(
      () =>
        environment("qa", false, {
          address: "https://vault.internal:8200",
          kv: { existing: { mount: "airflow" }, maxVersions: 20, sealWrap: true },
          audit: { enabled: true, type: "syslog", mode: "0644", socketType: "udp", tag: "vault-qa" },
        }),
      /vault\.kv\.maxVersions: shapes a resource this library creates, and vault\.kv\.existing brings your own/,
      /vault\.kv\.sealWrap: shapes a resource this library creates/,
      /vault\.audit\.mode: applies only to file devices \(type is syslog\)/,
      /vault\.audit\.socketType: applies only to socket devices \(type is syslog\)/,
    );
  });

  test("a key from an earlier release is reported as renamed, with its new path", async () => {
    await expectRejected(
      () =>
        environment("qa", false, {
          address: "https://vault.internal:8200",
          kv: { existingMount: true },
          database: {
            existingMount: true,
            host: "db.internal",
            database: "analytics",
            username: "vault_admin",
            password: "x",
          },
        }),
      /vault\.kv\.existingMount: was renamed: write vault\.kv\.existing\.mount instead/,
      /vault\.database\.existingMount: was renamed: write vault\.database\.existing\.mount instead/,
    );
  });

  test("kubernetesAuth.jwtPath must be an absolute file path", async () => {
    await expectRejected(
      () =>
        environment("qa", false, {
          address: "https://vault.internal:8200",
          kubernetesAuth: { audience: "vault", jwtPath: "vault-token" },
        }),
      /vault\.kubernetesAuth\.jwtPath: must be the absolute path of a service account token file/,
    );
  });
});

describe("options that reach Vault or Airflow", () => {
  test("a projected token path becomes kubernetes_jwt_path, so Airflow logs in with the audience the role expects", async () => {
    const uat = environment("uat", false, {
      address: "https://vault.uat.internal:8200",
      kubernetesAuth: { audience: "vault", jwtPath: "/var/run/secrets/vault/token" },
    });
    const config = (await resolveOutput(uat.airflowConfig)).value;
    expect(config.backendKwargs).toMatchObject({
      auth_type: "kubernetes",
      kubernetes_role: "airflow-uat",
      kubernetes_jwt_path: "/var/run/secrets/vault/token",
    });
    await session.settle();
    expect(one("vault:kubernetes/authBackendRole:AuthBackendRole", "uat").inputs.audience).toBe("vault");
  });

  test("a unix socket audit device takes the socket's path as its address", async () => {
    new vaultComponents.VaultAuditDevice("unix-audit", {
      type: "socket",
      socketType: "unix",
      address: "/var/run/vault/audit.sock",
    });
    await session.settle();
    const device = session.resources.find((r) => r.name === "unix-audit-device")!;
    expect(device.inputs.options).toMatchObject({
      address: "/var/run/vault/audit.sock",
      socket_type: "unix",
    });
  });
});

describe("a TypeScript program composing the backend on its own", () => {
  const { resolveBackendOrThrow } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("../../components/backend") as typeof import("../../components/backend");
  const context = {
    environment: "solo",
    declarations,
    airflow: { version: "2.10" as const },
    kubernetes: { namespace: "airflow-solo", serviceAccount: "airflow" },
  };

  test("new VaultAirflowSecrets(name, resolveBackendOrThrow(...)) builds the store, policies and roles under it", async () => {
    const solo = new vaultComponents.VaultAirflowSecrets(
      "solo-vault",
      resolveBackendOrThrow(vaultComponents.vaultBackend, context, { address: "https://vault.solo:8200" }),
    );
    await session.settle();
    const umbrella = session.resources.find((r) => r.name === "solo-vault")!;
    expect(umbrella.type).toBe("airflow-secrets:vault:VaultAirflowSecrets");
    const children = session.resources.filter((r) => r.parent === umbrella.urn);
    expect(children.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      "airflow-secrets:vault:VaultEnvironmentPolicies solo-vault-policies",
      "airflow-secrets:vault:VaultKubernetesAuthRole solo-vault-kubernetes",
      "airflow-secrets:vault:VaultKvStore solo-vault-kv",
    ]);
    // No parent given, nothing to alias.
    for (const child of children) expect(child.aliases).toEqual([]);
    expect(solo.store.secretPaths).toContain("airflow/data/solo/connections/warehouse");
    expect(solo.plan).toBe(solo.store.plan);
    expect(Object.keys(solo.deployment.outputs).sort()).toEqual([
      "vaultKubernetesRole",
      "vaultKvMount",
      "vaultReaderPolicy",
      "vaultSecretPaths",
      "vaultWriterPolicy",
    ]);
  });

  test("the component checks nothing: it builds from what resolve returned, without a validator or a second plan", async () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const checkers = [
      [require("../../components/airflow/validate"), "validateDeclarations"],
      [require("../../components/airflow/plan"), "tryPlanSecrets"],
      [require("../../components/vault/airflowPolicies"), "validateEnvironmentPolicies"],
      [require("../../components/vault/authRoles"), "validateKubernetesAuthRoleArgs"],
      [require("../../components/vault/authRoles"), "validateCiWriterRoleArgs"],
      [require("../../components/vault/databaseSecrets"), "validateDatabaseSecretsArgs"],
      [require("../../components/vault/auditDevice"), "validateAuditDeviceArgs"],
    ] as const;
    /* eslint-enable @typescript-eslint/no-require-imports */
    const resolved = resolveBackendOrThrow(vaultComponents.vaultBackend, context, {
      address: "https://vault.solo:8200",
      ciWriter: {
        boundAudiences: ["https://github.com/acme"],
        repository: "acme/infra",
        environment: "solo",
      },
      database: { host: "db", database: "analytics", username: "vault_admin", password: "x" },
      audit: { enabled: true },
    });
    const spies = checkers.map(([module, name]) => jest.spyOn(module, name));
    try {
      new vaultComponents.VaultAirflowSecrets("checked-once-vault", resolved);
      await session.settle();
      for (const [i, spy] of spies.entries())
        expect([checkers[i][1], spy.mock.calls.length]).toEqual([checkers[i][1], 0]);
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }
    const built = session.resources.filter((r) => r.name.startsWith("checked-once-vault-") && r.custom);
    expect(built.map((r) => r.type)).toEqual(
      expect.arrayContaining([
        "vault:jwt/authBackendRole:AuthBackendRole",
        "vault:database/secretBackendConnection:SecretBackendConnection",
        "vault:index/audit:Audit",
      ]),
    );
  });

  test("bad settings throw from resolveBackendOrThrow, before the component could register anything", async () => {
    await session.settle();
    const before = session.resources.length;
    expect(() =>
      resolveBackendOrThrow(vaultComponents.vaultBackend, context, {
        address: "http://vault.solo:8200/v1",
        kv: { existing: { mount: "sys" } },
      }),
    ).toThrow(
      /vault\.address: must be Vault's URL[\s\S]*vault\.kv\.existing\.mount: "sys\/" is reserved by Vault/,
    );
    await session.settle();
    expect(session.resources.length).toBe(before);
  });
});

test("inside an environment, each direct child of VaultAirflowSecrets is aliased to its old parent, the environment", () => {
  const umbrella = session.resources.find((r) => r.name === "staging-vault")!;
  expect(umbrella.type).toBe("airflow-secrets:vault:VaultAirflowSecrets");
  const environmentUrn = umbrella.parent!;
  const children = session.resources.filter((r) => r.parent === umbrella.urn);
  expect(children.map((r) => r.name).sort()).toEqual([
    "staging-vault-ci",
    "staging-vault-database",
    "staging-vault-kubernetes",
    "staging-vault-kv",
    "staging-vault-policies",
  ]);
  for (const child of children) expect(child.aliases).toEqual([{ parent: environmentUrn }]);
});

test("every Vault resource hangs under a component of this folder", () => {
  const components = new Map(session.resources.filter((r) => !r.custom).map((r) => [r.urn, r] as const));
  for (const resource of session.resources.filter((r: RecordedResource) => r.type.startsWith("vault:"))) {
    expect(components.get(resource.parent!)?.type).toMatch(/^airflow-secrets:vault:/);
  }
});
