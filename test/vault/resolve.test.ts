/**
 * The Vault backend's rules live in `resolve`, which is pure: these tests run without Pulumi's mock
 * runtime and would fail if anything were registered. The components build from what resolve
 * returns and check nothing, so a rule that is not here is not enforced anywhere.
 */
import * as resourceRuntime from "@pulumi/pulumi/runtime/resource";
import { Problems, SecretsDeclarations, planSecrets } from "../../components/airflow";
import { BackendContext, prepareBackend, resolveBackendOrThrow } from "../../components/backend";
import { backend } from "../../components/vault/backend";
import { VaultBackendSettingsInput, settingsSchema } from "../../components/vault/schema";

const declarations: SecretsDeclarations = {
  connections: [{ conn_id: "warehouse", conn_type: "postgres", host: "db.internal", password: "pw" }],
  variables: [{ key: "alert_email", value: "alerts@example.com" }],
};

const context = (overrides: Partial<BackendContext> = {}): BackendContext => ({
  environment: "qa",
  production: false,
  owner: "data-platform",
  declarations,
  airflow: { version: "2.10" },
  kubernetes: { namespace: "airflow-qa", serviceAccount: "airflow" },
  now: new Date("2026-12-01T00:00:00Z"),
  ...overrides,
});

const ADDRESS = "https://vault.internal:8200";

function problemsOf(settings: unknown, overrides: Partial<BackendContext> = {}) {
  const problems = new Problems();
  const resolved = prepareBackend(backend, context(overrides), settings, problems);
  return { resolved, text: problems.list.map((p) => `${p.path}: ${p.rule}`).join("\n") };
}

let registered: jest.SpyInstance;
beforeEach(() => {
  registered = jest.spyOn(resourceRuntime, "registerResource");
});
afterEach(() => {
  // Nothing in parse, plan or resolve may register a resource.
  expect(registered).not.toHaveBeenCalled();
  registered.mockRestore();
});

describe("resolve is pure", () => {
  const settings = settingsSchema.parse({
    address: ADDRESS,
    ciWriter: { boundAudiences: ["https://github.com/acme"], repository: "acme/infra", environment: "qa" },
    database: { host: "db.internal", database: "analytics", username: "vault_admin", password: "x" },
    audit: { enabled: true },
  });
  const plan = planSecrets(backend.planArgs(context(), settings));

  test("the same input gives the same output, and the input is left as it was", () => {
    const before = JSON.stringify(settings);
    const first = backend.resolve({ context: context(), settings, complete: true, plan }, new Problems());
    const second = backend.resolve({ context: context(), settings, complete: true, plan }, new Problems());
    expect(first).toBeDefined();
    expect(second).toEqual(first);
    expect(first!.plan).toBe(plan);
    expect(first!.store.plan).toBe(plan);
    expect(JSON.stringify(settings)).toBe(before);
  });

  test("what it returns carries the defaults the components build from", () => {
    const resolved = backend.resolve({ context: context(), settings, complete: true, plan }, new Problems())!;
    expect(resolved.kubernetesAuth).toMatchObject({ roleName: "airflow-qa", serviceAccounts: ["airflow"] });
    expect(resolved.ciWriter).toMatchObject({ roleName: "airflow-qa-ci", production: false });
    expect(resolved.audit).toMatchObject({ type: "file", path: "airflow-qa-file", protect: false });
    expect(resolved.policies.reader.name).toBe("airflow-qa-reader");
    expect(resolved.policies.writer.name).toBe("airflow-qa-writer");
  });

  test("incomplete settings or a failed plan give nothing to build, without throwing", () => {
    const problems = new Problems();
    expect(
      backend.resolve({ context: context(), settings, complete: false, plan }, problems),
    ).toBeUndefined();
    expect(
      backend.resolve({ context: context(), settings, complete: true, plan: undefined }, problems),
    ).toBeUndefined();
    expect(problems.empty).toBe(true);
  });
});

describe("every rule is reported by resolve, with its field path and without the value", () => {
  test("Kubernetes auth: one service account, TTL order, CIDRs", () => {
    const { resolved, text } = problemsOf(
      {
        address: ADDRESS,
        kubernetesAuth: {
          tokenTtlSeconds: 3600,
          tokenMaxTtlSeconds: 600,
          tokenBoundCidrs: ["10.0.0.0/16", "999.0.0.0/8", "10.0.0.0/33", "fd00::/129"],
        },
      },
      { kubernetes: { namespace: "airflow-qa", serviceAccount: "*" } },
    );
    expect(resolved).toBeUndefined();
    expect(text).toMatch(
      /vault\.kubernetesAuth\.serviceAccounts\[0\]: must be one Kubernetes service account name/,
    );
    expect(text).toMatch(/vault\.kubernetesAuth\.tokenMaxTtlSeconds: must be at least the default TTL/);
    for (const i of [1, 2, 3])
      expect(text).toContain(`vault.kubernetesAuth.tokenBoundCidrs[${i}]: must be a CIDR like 10.0.0.0/16`);
    expect(text).not.toMatch(/10\.0\.0\.0\/33|999\.0|fd00/);
  });

  test("database: TTL order and a static role that would lock Vault out", () => {
    const { text } = problemsOf({
      address: ADDRESS,
      database: {
        host: "db",
        database: "analytics",
        username: "vault_admin",
        password: "x",
        roles: [{ name: "ro", access: "read-only", defaultTtlSeconds: 3600, maxTtlSeconds: 60 }],
        staticRoles: [{ name: "root", username: "vault_admin" }],
      },
    });
    expect(text).toMatch(/vault\.database\.roles\[ro\]\.maxTtlSeconds: must be at least the default TTL/);
    expect(text).toMatch(
      /vault\.database\.staticRoles\[root\]\.username: must not be Vault's own connection user/,
    );
  });

  test("audit device: a relative file path and another type's options", () => {
    const { text } = problemsOf({
      address: ADDRESS,
      audit: {
        enabled: true,
        type: "file",
        filePath: "relative.log",
        facility: "LOCAL0",
        address: "10.0.0.1:9090",
      },
    });
    expect(text).toMatch(/vault\.audit\.filePath: is required for a file device: an absolute file path/);
    expect(text).toMatch(/vault\.audit\.facility: applies only to syslog devices \(type is file\)/);
    expect(text).toMatch(/vault\.audit\.address: applies only to socket devices \(type is file\)/);
    expect(text).not.toContain("relative.log");
  });

  test("a refused CI repository is named by its field and rule, never quoted back", () => {
    const { text } = problemsOf(
      {
        address: ADDRESS,
        ciWriter: { boundAudiences: ["https://github.com/acme"], repository: "acme/*-SECRET-ISH" },
      },
      { environment: "prod", production: true },
    );
    expect(text).toMatch(/vault\.ciWriter\.repository: must be one repository "owner\/name", no wildcards/);
    expect(text).toMatch(/vault\.ciWriter\.environment: production writers must be bound/);
    expect(text).not.toContain("SECRET-ISH");
  });

  test("a bring-your-own mount refuses the settings that tune a created one", () => {
    const { text } = problemsOf({
      address: ADDRESS,
      kv: { mount: "airflow", existing: { mount: "shared-kv" }, maxVersions: 3 },
      database: {
        mount: "database",
        existing: { mount: "sys" },
        host: "db",
        database: "analytics",
        username: "vault_admin",
        password: "x",
      },
    });
    expect(text).toMatch(/vault\.kv\.mount: shapes a resource this library creates/);
    expect(text).toMatch(/vault\.kv\.maxVersions: shapes a resource this library creates/);
    expect(text).toMatch(/vault\.database\.mount: shapes a resource this library creates/);
    expect(text).toMatch(/vault\.database\.existing\.mount: "sys\/" is reserved by Vault/);
  });

  test("production writer extras cannot grant back rewriting history", () => {
    const { text } = problemsOf(
      {
        address: ADDRESS,
        policies: {
          extraWriterRules: [
            { path: "airflow/metadata/prod/connections/*", capabilities: ["update", "delete"] },
            { path: "airflow/destroy/prod/+/*", capabilities: ["update"] },
            { path: "airflow/delete/prod/connections/*", capabilities: ["update"] },
          ],
        },
      },
      { environment: "prod", production: true },
    );
    expect(text).toContain(
      'vault.policies.extraWriterRules[0].capabilities: "update" under "airflow/metadata/prod/…" is refused',
    );
    expect(text).toContain(
      'vault.policies.extraWriterRules[0].capabilities: "delete" under "airflow/metadata/prod/…" is refused',
    );
    expect(text).toContain(
      'vault.policies.extraWriterRules[1].capabilities: "update" under "airflow/destroy/prod/…" is refused',
    );
    expect(text).toContain(
      'vault.policies.extraWriterRules[2].capabilities: "update" under "airflow/delete/prod/…" is refused',
    );
    // Outside production the same rules (for that environment) are allowed.
    const dev = problemsOf({
      address: ADDRESS,
      policies: {
        extraWriterRules: [{ path: "airflow/metadata/qa/connections/*", capabilities: ["update", "delete"] }],
      },
    });
    expect(dev.text).toBe("");
    expect(dev.resolved).toBeDefined();
  });
});

describe("blocks written with every child commented out (YAML null) are absent", () => {
  test.each(["kv", "layout", "policies", "kubernetesAuth", "ciWriter", "database", "audit"])(
    "%s: null",
    (block) => {
      const { resolved, text } = problemsOf({ address: ADDRESS, [block]: null });
      expect(text).toBe("");
      expect(resolved).toBeDefined();
      const absent = problemsOf({ address: ADDRESS }).resolved!;
      expect({ ...resolved!, plan: undefined, store: { ...resolved!.store, plan: undefined } }).toEqual({
        ...absent,
        plan: undefined,
        store: { ...absent.store, plan: undefined },
      });
    },
  );
});

test("resolveBackendOrThrow: one error listing every problem, for a TypeScript program", () => {
  const settings: VaultBackendSettingsInput = { address: "vault.internal", kv: { maxVersions: 0 } };
  let message = "";
  try {
    resolveBackendOrThrow(
      backend,
      {
        environment: "qa",
        declarations,
        airflow: { version: "2.10" },
        kubernetes: { namespace: "airflow-qa", serviceAccount: "airflow" },
      },
      settings,
    );
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toMatch(/vault\.kv\.maxVersions: must be at least 1/);
  expect(message).toMatch(/vault\.address: must be Vault's URL/);
});
