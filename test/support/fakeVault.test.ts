/**
 * The Vault stand-in answers as Vault does where our commands depend on it: KV v2 versions and
 * metadata, ACLs through the HCL evaluator, Kubernetes login, static-role rotation and dynamic
 * credentials against the real test PostgreSQL, token and lease revocation.
 */
import { FakeVault } from "./fakeVault";
import { acceptsLogin, createRandomLogin, startPostgres, TestPostgres, uniqueRole } from "./postgres";

let vault: FakeVault;
let pg: TestPostgres;

beforeAll(async () => {
  [vault, pg] = await Promise.all([FakeVault.start(), startPostgres()]);
});

afterAll(async () => {
  await Promise.all([vault?.close(), pg?.destroy()]);
});

async function call(
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Vault's answers, read field by field
): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${vault.address}/v1/${path}`, {
    method,
    headers: token ? { "X-Vault-Token": token } : {},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

const READER = `
path "airflow/data/connections/*" { capabilities = ["read"] }
path "airflow/metadata/connections/*" { capabilities = ["read"] }
path "airflow/data/connections/master_*" { capabilities = ["deny"] }
`;

describe("KV v2 and ACLs", () => {
  beforeAll(() => {
    vault.enableKv("airflow");
    vault.writePolicy("reader", READER);
  });

  it("keeps versions; reads the latest or a given one; metadata lists their times", async () => {
    const root = vault.rootToken;
    expect((await call(root, "POST", "airflow/data/connections/a", { data: { v: "1" } })).status).toBe(200);
    const second = await call(root, "POST", "airflow/data/connections/a", { data: { v: "2" } });
    expect(second.body.data.version).toBe(2);
    const latest = await call(root, "GET", "airflow/data/connections/a");
    expect(latest.body.data).toMatchObject({ data: { v: "2" }, metadata: { version: 2 } });
    const first = await call(root, "GET", "airflow/data/connections/a?version=1");
    expect(first.body.data.data).toEqual({ v: "1" });
    const metadata = await call(root, "GET", "airflow/metadata/connections/a");
    expect(metadata.body.data.current_version).toBe(2);
    expect(Object.keys(metadata.body.data.versions)).toEqual(["1", "2"]);
    const cas = await call(root, "POST", "airflow/data/connections/a", {
      data: { v: "3" },
      options: { cas: 1 },
    });
    expect(cas.status).toBe(400);
    const list = await call(root, "GET", "airflow/metadata/connections?list=true");
    expect(list.body.data.keys).toEqual(["a"]);
  });

  it("a soft-deleted latest version reads as 404 with its metadata; undelete restores it", async () => {
    const root = vault.rootToken;
    vault.kvPut("airflow", "connections/gone", { v: "x" });
    expect((await call(root, "DELETE", "airflow/data/connections/gone")).status).toBe(204);
    const read = await call(root, "GET", "airflow/data/connections/gone");
    expect(read.status).toBe(404);
    expect(read.body.data.metadata.deletion_time).not.toBe("");
    await call(root, "POST", "airflow/undelete/connections/gone", { versions: [1] });
    expect((await call(root, "GET", "airflow/data/connections/gone")).status).toBe(200);
  });

  it("enforces the token's policies: read allowed, write and denied paths refused, missing token refused", async () => {
    vault.kvPut("airflow", "connections/master_db", { v: "m" });
    const reader = vault.createToken(["reader"]);
    expect((await call(reader.token, "GET", "airflow/data/connections/a")).status).toBe(200);
    expect((await call(reader.token, "GET", "airflow/data/connections/master_db")).status).toBe(403);
    expect((await call(reader.token, "POST", "airflow/data/connections/a", { data: {} })).status).toBe(403);
    expect((await call(reader.token, "GET", "airflow/data/variables/x")).status).toBe(403);
    expect((await call(undefined, "GET", "airflow/data/connections/a")).status).toBe(403);
    expect((await call(reader.token, "GET", "auth/token/lookup-self")).body.data.policies).toEqual([
      "default",
      "reader",
    ]);
  });

  it("expired tokens are refused", async () => {
    const reader = vault.createToken(["reader"], { ttlSeconds: 60 });
    const start = Date.now();
    vault.clock = () => new Date(start + 61_000);
    try {
      expect((await call(reader.token, "GET", "airflow/data/connections/a")).status).toBe(403);
    } finally {
      vault.clock = () => new Date();
    }
  });
});

describe("Kubernetes auth and token revocation", () => {
  beforeAll(() => {
    vault.writeKubernetesRole("airflow-reader", {
      boundServiceAccountNames: ["airflow"],
      boundServiceAccountNamespaces: ["airflow-prod"],
      policies: ["reader"],
    });
    vault.writePolicy(
      "responder",
      `path "auth/token/*" { capabilities = ["read", "update", "list", "sudo"] }
path "sys/leases/revoke-prefix/*" { capabilities = ["update", "sudo"] }`,
    );
  });

  it("logs in the bound service account only, with the role's policies", async () => {
    const ok = await call(undefined, "POST", "auth/kubernetes/login", {
      role: "airflow-reader",
      jwt: vault.serviceAccountJwt("airflow-prod", "airflow"),
    });
    expect(ok.status).toBe(200);
    expect(ok.body.auth.policies).toEqual(["default", "reader"]);
    expect(ok.body.auth.metadata.role).toBe("airflow-reader");
    const wrongNamespace = await call(undefined, "POST", "auth/kubernetes/login", {
      role: "airflow-reader",
      jwt: vault.serviceAccountJwt("other", "airflow"),
    });
    expect(wrongNamespace.status).toBe(403);
    const forged = vault.serviceAccountJwt("airflow-prod", "airflow").replace(/\.[^.]+$/, ".AAAA");
    expect(
      (await call(undefined, "POST", "auth/kubernetes/login", { role: "airflow-reader", jwt: forged }))
        .status,
    ).toBe(403);
  });

  it("revokes a token by accessor and every token of a role by login-path prefix (sudo)", async () => {
    const login = async () =>
      (
        await call(undefined, "POST", "auth/kubernetes/login", {
          role: "airflow-reader",
          jwt: vault.serviceAccountJwt("airflow-prod", "airflow"),
        })
      ).body.auth as { client_token: string; accessor: string };
    const [a, b] = [await login(), await login()];
    const responder = vault.createToken(["responder"]).token;
    const plain = vault.createToken(["reader"]).token;
    expect((await call(plain, "POST", "auth/token/revoke-accessor", { accessor: a.accessor })).status).toBe(
      403,
    );
    const accessors = await call(responder, "GET", "auth/token/accessors?list=true");
    expect(accessors.body.data.keys).toEqual(expect.arrayContaining([a.accessor, b.accessor]));
    const lookup = await call(responder, "POST", "auth/token/lookup-accessor", { accessor: a.accessor });
    expect(lookup.body.data.meta.role).toBe("airflow-reader");
    expect(
      (await call(responder, "POST", "auth/token/revoke-accessor", { accessor: a.accessor })).status,
    ).toBe(204);
    expect((await call(a.client_token, "GET", "airflow/data/connections/a")).status).toBe(403);
    expect((await call(b.client_token, "GET", "airflow/data/connections/a")).status).toBe(200);
    const prefix = await call(
      responder,
      "PUT",
      "sys/leases/revoke-prefix/auth/kubernetes/login/airflow-reader",
    );
    expect(prefix.status).toBe(204);
    expect((await call(b.client_token, "GET", "airflow/data/connections/a")).status).toBe(403);
    expect((await call(plain, "GET", "airflow/data/connections/a")).status).toBe(200);
  });
});

describe("database secrets engine against PostgreSQL", () => {
  beforeAll(() => {
    vault.enableDatabase("database", pg);
    vault.writePolicy(
      "rotator",
      `path "database/*" { capabilities = ["read", "update"] }
path "sys/leases/revoke" { capabilities = ["update"] }`,
    );
  });

  it("static role: creds log in; rotate-role changes the password and the old one stops working", async () => {
    const { login, password: original } = await createRandomLogin(pg, "static");
    await vault.writeStaticRole("database", "warehouse", { username: login, rotationPeriod: 86400 });
    expect(await acceptsLogin(pg, login, original)).toBe(false);
    const token = vault.createToken(["rotator"]).token;
    const first = (await call(token, "GET", "database/static-creds/warehouse")).body.data;
    expect(first.username).toBe(login);
    expect(await acceptsLogin(pg, login, first.password)).toBe(true);
    expect((await call(token, "POST", "database/rotate-role/warehouse")).status).toBe(204);
    const second = (await call(token, "GET", "database/static-creds/warehouse")).body.data;
    expect(second.password).not.toBe(first.password);
    expect(await acceptsLogin(pg, login, second.password)).toBe(true);
    expect(await acceptsLogin(pg, login, first.password)).toBe(false);
    expect(JSON.stringify(vault.requests)).not.toContain(second.password);
  });

  it("dynamic creds create a user with a lease; revoking the lease drops it", async () => {
    const role = uniqueRole("dyn");
    vault.writeDynamicRole("database", role, {
      creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}';`],
    });
    const token = vault.createToken(["rotator"]).token;
    const creds = (await call(token, "GET", `database/creds/${role}`)).body;
    expect(await acceptsLogin(pg, creds.data.username, creds.data.password)).toBe(true);
    expect((await call(token, "PUT", "sys/leases/revoke", { lease_id: creds.lease_id })).status).toBe(204);
    const { rows } = await pg.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [creds.data.username]);
    expect(rows).toHaveLength(0);
    expect(vault.leases().find((l) => l.leaseId === creds.lease_id)?.revoked).toBe(true);
  });
});
