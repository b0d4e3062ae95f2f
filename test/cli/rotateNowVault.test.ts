/**
 * `rotate-now` on Vault against the Vault stand-in, whose database secrets engine works on a real
 * PostgreSQL: a static role's password is rotated with rotate-role and proven by logging in; dynamic
 * roles' leases are revoked by prefix (the users are dropped) and a fresh credential is proven. The stack
 * is the shipped staging stack with its database pointed at the test server. Faults: the caller may not
 * rotate, the database is down during rotate-role.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseDocument } from "yaml";
import { runRotateNow } from "../../cli/incident/rotateNow";
import type { VaultClientOptions } from "../../cli/incident/vault";
import { FakeVault } from "../support/fakeVault";
import { acceptsLogin, createRandomLogin, startPostgres, type TestPostgres } from "../support/postgres";

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, "../..");
const MOUNT = "database";
const STATIC = "airflow-staging-reporting";

let pg: TestPostgres;
let vault: FakeVault;
let stackFile: string;
let staticLogin: string;

beforeAll(async () => {
  [pg, vault] = await Promise.all([startPostgres(), FakeVault.start()]);
  // The staging stack as shipped, its database pointed at the test server.
  const document = parseDocument(fs.readFileSync(path.join(ROOT, "stacks/Pulumi.staging.yaml"), "utf8"));
  const database = ["config", "airflow-secrets:vault", "database"];
  document.setIn([...database, "host"], pg.host);
  document.setIn([...database, "port"], pg.port);
  document.setIn([...database, "database"], pg.database);
  document.setIn([...database, "sslmode"], "disable");
  stackFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rotate-now-vault-")), "Pulumi.staging.yaml");
  fs.writeFileSync(stackFile, document.toString());

  vault.enableDatabase(MOUNT, pg);
  const reporting = await createRandomLogin(pg, "rv_reporting");
  staticLogin = reporting.login;
  await vault.writeStaticRole(MOUNT, STATIC, { username: staticLogin, rotationPeriod: 2592000 });
  for (const role of ["airflow-staging-readonly", "airflow-staging-readwrite"])
    vault.writeDynamicRole(MOUNT, role, {
      creationStatements: [
        `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
        `GRANT CONNECT ON DATABASE "${pg.database}" TO "{{name}}";`,
      ],
      revocationStatements: [
        `REVOKE ALL ON DATABASE "${pg.database}" FROM "{{name}}";`,
        `DROP ROLE IF EXISTS "{{name}}";`,
      ],
    });
});
afterAll(async () => {
  await vault?.close();
  await pg?.destroy();
  if (stackFile) fs.rmSync(path.dirname(stackFile), { recursive: true, force: true });
});

async function rotateNow(client: VaultClientOptions, ...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runRotateNow(
    ["--cwd", ROOT, "--config-file", stackFile, ...argv],
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
    { vault: () => client },
  );
  const secrets = [vault.staticPassword(MOUNT, STATIC)!, vault.rootToken];
  for (const secret of secrets) expect(stdout + stderr).not.toContain(secret);
  return { code, stdout, stderr };
}

const root = (): VaultClientOptions => ({ address: vault.address, token: vault.rootToken });
const staticLogsIn = (password: string) => acceptsLogin(pg, staticLogin, password, pg.database);

async function issueDynamic(role: string): Promise<{ username: string; password: string }> {
  const response = await fetch(`${vault.address}/v1/${MOUNT}/creds/${role}`, {
    headers: { "X-Vault-Token": vault.rootToken },
  });
  return ((await response.json()) as { data: { username: string; password: string } }).data;
}

describe("rotate-now on Vault", () => {
  it("a static role: rotate-role, the new password (static-creds) logs in, the old one no longer does", async () => {
    const before = vault.staticPassword(MOUNT, STATIC)!;
    const run = await rotateNow(root(), "--conn", "reporting");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("rotated reporting; the new credentials log in");
    const after = vault.staticPassword(MOUNT, STATIC)!;
    expect(after).not.toBe(before);
    expect(await staticLogsIn(after)).toBe(true);
    expect(await staticLogsIn(before)).toBe(false);
    for (const step of [
      "read the current credential",
      "rotate the role's password \\(rotate-role\\)",
      "the new credential logs in",
      "the old password no longer logs in",
    ])
      expect(run.stdout).toMatch(new RegExp(`ok   ${step}.*\\(\\d+(\\.\\d)? m?s\\)`));
  });

  it("--all-rotated also revokes every dynamic lease (those users stop logging in) and proves a fresh credential", async () => {
    const issued = [
      await issueDynamic("airflow-staging-readonly"),
      await issueDynamic("airflow-staging-readwrite"),
    ];
    for (const creds of issued)
      expect(await acceptsLogin(pg, creds.username, creds.password, pg.database)).toBe(true);
    const run = await rotateNow(root(), "--all-rotated");
    expect(run.code).toBe(0);
    for (const creds of issued)
      expect(await acceptsLogin(pg, creds.username, creds.password, pg.database)).toBe(false);
    expect(run.stdout).toMatch(/ok {3}revoke every lease of the role/);
    expect(run.stdout).toMatch(/ok {3}a new credential logs in \(issued, checked, revoked\)/);
    // The credentials issued to prove the role were revoked again.
    expect(vault.leases().filter((lease) => !lease.revoked)).toEqual([]);
  });

  it("a caller who may not rotate: exits 1 at rotate-role, the current password unchanged and still logging in", async () => {
    vault.writePolicy("read-only-creds", `path "${MOUNT}/static-creds/*" { capabilities = ["read"] }`);
    const created = (await (
      await fetch(`${vault.address}/v1/auth/token/create`, {
        method: "POST",
        headers: { "X-Vault-Token": vault.rootToken },
        body: JSON.stringify({ policies: ["read-only-creds"] }),
      })
    ).json()) as { auth: { client_token: string } };
    const before = vault.staticPassword(MOUNT, STATIC)!;
    const run = await rotateNow(
      { address: vault.address, token: created.auth.client_token },
      "--conn",
      "reporting",
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL rotate the role's password \(rotate-role\): .*HTTP 403/);
    expect(run.stderr).toBe("error: rotation failed for reporting\n");
    expect(run.stdout).toMatch(/ok {3}the current credential still logs in/);
    expect(run.stdout).not.toContain(created.auth.client_token);
    expect(vault.staticPassword(MOUNT, STATIC)).toBe(before);
    expect(await staticLogsIn(before)).toBe(true);
  });

  it("the database is down during rotate-role: exits 1, and the password Vault hands out still logs in", async () => {
    const before = vault.staticPassword(MOUNT, STATIC)!;
    const downDuringRotation: typeof fetch = async (input, init) => {
      if (!String(input).includes("/rotate-role/")) return fetch(input, init);
      await pg.stop();
      try {
        return await fetch(input, init);
      } finally {
        await pg.start();
      }
    };
    const run = await rotateNow({ ...root(), fetch: downDuringRotation }, "--conn", "reporting");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL rotate the role's password/);
    expect(run.stdout).toMatch(/ok {3}the current credential still logs in/);
    expect(vault.staticPassword(MOUNT, STATIC)).toBe(before);
    expect(await staticLogsIn(before)).toBe(true);
  });

  it("a KV connection or an unknown name is refused with what Vault can rotate", async () => {
    const run = await rotateNow(root(), "--conn", "warehouse");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "on Vault, --conn names a database role of the stack (static: reporting; dynamic: readonly, readwrite)",
    );
  });
});
