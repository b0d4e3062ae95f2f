/**
 * The dynamic and static role statements, executed against a real PostgreSQL as Vault's plugin runs
 * them, with Vault's own substitutions. Vault's connection user is a non-superuser with CREATEROLE
 * that owns the application database, as on managed PostgreSQL services.
 */
import { Client } from "pg";
import {
  PostgresGrantScope,
  creationStatements,
  postgresConnectionUrl,
  renewStatements,
  revocationStatements,
  staticRotationStatements,
} from "../../components/vault/databaseStatements";
import { TestPostgres, startPostgres } from "../support/postgres";
import {
  executeVaultStatements,
  substitute,
  vaultExpiration,
  vaultPassword,
  vaultUsername,
} from "./vaultDatabasePlugin";

const VAULT_USER = "vault_admin";
const VAULT_PASSWORD = "vault-admin-pw-1";
const DATABASE = "analytics";

let pg: TestPostgres;
let vaultConnection: Client;

beforeAll(async () => {
  pg = await startPostgres();
  await pg.query(`CREATE ROLE ${VAULT_USER} WITH LOGIN CREATEROLE PASSWORD '${VAULT_PASSWORD}'`);
  await pg.query(`CREATE DATABASE ${DATABASE} OWNER ${VAULT_USER}`);
  // The application's tables, owned by Vault's user (it grants on them); a schema no role is granted.
  const owner = await pg.connect(VAULT_USER, VAULT_PASSWORD, DATABASE);
  await owner.query(`
    CREATE TABLE public.orders (id serial PRIMARY KEY, amount integer NOT NULL);
    INSERT INTO public.orders (amount) VALUES (10), (20);
    CREATE SCHEMA finance;
    CREATE TABLE finance.salaries (id integer);
  `);
  await owner.end();
  vaultConnection = await pg.connect(VAULT_USER, VAULT_PASSWORD, DATABASE);
}, 120000);

afterAll(async () => {
  await vaultConnection?.end();
  await pg?.destroy();
});

const inAnHour = () => vaultExpiration(new Date(Date.now() + 3600 * 1000));

/** Issues a credential the way Vault does for a dynamic role; returns the generated login. */
async function issue(scope: PostgresGrantScope, roleName: string, expiration = inAnHour()) {
  const username = vaultUsername("k8s-airflow", roleName);
  const password = vaultPassword();
  await executeVaultStatements(vaultConnection, creationStatements(scope), {
    name: username,
    username,
    password,
    expiration,
  });
  return { username, password, expiration };
}

async function revoke(scope: PostgresGrantScope, username: string) {
  await executeVaultStatements(vaultConnection, revocationStatements(scope), { name: username, username });
}

async function loginFails(user: string, password: string): Promise<string> {
  try {
    const client = await pg.connect(user, password, DATABASE);
    await client.end();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${user} could log in`);
}

async function roleExists(name: string): Promise<boolean> {
  const { rows } = await pg.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name]);
  return rows.length === 1;
}

/** Table privileges held by `user`, as `schema.table:PRIVILEGE`. */
async function tablePrivileges(user: string): Promise<string[]> {
  const client = await pg.connect(pg.superuser, pg.superPassword, DATABASE);
  try {
    const { rows } = await client.query(
      "SELECT table_schema || '.' || table_name || ':' || privilege_type AS p FROM information_schema.role_table_grants WHERE grantee = $1 ORDER BY 1",
      [user],
    );
    return rows.map((r) => r.p as string);
  } finally {
    await client.end();
  }
}

async function expectDenied(client: Client, sql: string): Promise<void> {
  await expect(client.query(sql)).rejects.toThrow(/permission denied/);
}

const readOnly: PostgresGrantScope = { database: DATABASE, schemas: ["public"], access: "read-only" };
const readWrite: PostgresGrantScope = { database: DATABASE, schemas: ["public"], access: "read-write" };

test("Vault's expiration format is Go's 2006-01-02 15:04:05-0700 in UTC", () => {
  expect(vaultExpiration(new Date(Date.UTC(2026, 10, 23, 17, 0, 0)))).toBe("2026-11-23 17:00:00+0000");
});

test("the connection URL template connects once Vault fills in its credentials", async () => {
  const template = postgresConnectionUrl("127.0.0.1", pg.port, DATABASE, "disable");
  expect(template).toContain("{{username}}:{{password}}@");
  const client = new Client({
    connectionString: substitute(template, { username: VAULT_USER, password: VAULT_PASSWORD }),
  });
  await client.connect();
  const { rows } = await client.query("SELECT current_user AS u, current_database() AS d");
  await client.end();
  expect(rows[0]).toEqual({ u: VAULT_USER, d: DATABASE });
});

test("a read-only credential logs in, reads, and cannot write, create or read other schemas", async () => {
  const { username, password, expiration } = await issue(readOnly, "airflow-staging-readonly");
  const { rows } = await pg.query(
    "SELECT rolvaliduntil, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1",
    [username],
  );
  expect(new Date(rows[0].rolvaliduntil as string).toISOString()).toBe(
    new Date(expiration.replace(" ", "T").replace("+0000", "Z")).toISOString(),
  );
  expect(rows[0]).toMatchObject({ rolsuper: false, rolcreaterole: false, rolcreatedb: false });
  expect(await tablePrivileges(username)).toEqual(["public.orders:SELECT"]);

  const client = await pg.connect(username, password, DATABASE);
  try {
    expect((await client.query("SELECT sum(amount)::int AS total FROM public.orders")).rows[0].total).toBe(
      30,
    );
    await expectDenied(client, "INSERT INTO public.orders (amount) VALUES (1)");
    await expectDenied(client, "UPDATE public.orders SET amount = 0");
    await expectDenied(client, "DELETE FROM public.orders");
    await expectDenied(client, "SELECT nextval('public.orders_id_seq')");
    await expectDenied(client, "CREATE TABLE public.sneaky (x int)");
    await expectDenied(client, "SELECT * FROM finance.salaries");
  } finally {
    await client.end();
  }

  await revoke(readOnly, username);
  expect(await roleExists(username)).toBe(false);
  expect(await loginFails(username, password)).toMatch(/password authentication failed|does not exist/);
});

test("a read-write credential writes tables and sequences but cannot create objects; revoked without owned objects", async () => {
  const { username, password } = await issue(readWrite, "airflow-staging-readwrite");
  expect(await tablePrivileges(username)).toEqual([
    "public.orders:DELETE",
    "public.orders:INSERT",
    "public.orders:SELECT",
    "public.orders:UPDATE",
  ]);
  const client = await pg.connect(username, password, DATABASE);
  try {
    await client.query("INSERT INTO public.orders (amount) VALUES (5)");
    await client.query("UPDATE public.orders SET amount = amount + 1 WHERE amount = 5");
    await client.query("DELETE FROM public.orders WHERE amount = 6");
    await expectDenied(client, "CREATE TABLE public.scratch (x int)");
    await expectDenied(client, "TRUNCATE public.orders");
  } finally {
    await client.end();
  }
  const { rows } = await pg.query(
    "SELECT count(*)::int AS n FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = $1",
    [username],
  );
  expect(rows[0].n).toBe(0);

  await revoke(readWrite, username);
  expect(await roleExists(username)).toBe(false);
});

test("revocation removes a credential that owns objects, handing them to Vault's user", async () => {
  const scope: PostgresGrantScope = { ...readWrite, allowCreate: true };
  const { username, password } = await issue(scope, "airflow-staging-etl");
  const client = await pg.connect(username, password, DATABASE);
  await client.query("CREATE TABLE public.etl_output (id serial PRIMARY KEY, payload text)");
  await client.query("INSERT INTO public.etl_output (payload) VALUES ('kept')");
  await client.end();

  await revoke(scope, username);
  expect(await roleExists(username)).toBe(false);
  const owner = await vaultConnection.query(
    "SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = 'public.etl_output'::regclass",
  );
  expect(owner.rows[0].owner).toBe(VAULT_USER);
  expect((await vaultConnection.query("SELECT payload FROM public.etl_output")).rows).toEqual([
    { payload: "kept" },
  ]);
});

test("a credential whose lease already expired cannot log in, and renewal extends it", async () => {
  const past = vaultExpiration(new Date(Date.now() - 60 * 1000));
  const { username, password } = await issue(readOnly, "airflow-staging-readonly", past);
  await expect(pg.connect(username, password, DATABASE)).rejects.toThrow(/password authentication failed/);

  await executeVaultStatements(vaultConnection, renewStatements(), {
    name: username,
    username,
    expiration: inAnHour(),
  });
  const client = await pg.connect(username, password, DATABASE);
  await client.end();
  await revoke(readOnly, username);
});

test("static-role rotation changes the password of an existing user", async () => {
  // The DBA's user; Vault's user is given ADMIN on it so it may set its password (PostgreSQL 16+).
  await pg.query("CREATE ROLE airflow_etl WITH LOGIN PASSWORD 'initial-password-1'");
  await pg.query(`GRANT airflow_etl TO ${VAULT_USER} WITH ADMIN OPTION`);
  await pg.query(`GRANT CONNECT ON DATABASE ${DATABASE} TO airflow_etl`);

  const first = vaultPassword();
  await executeVaultStatements(vaultConnection, staticRotationStatements(), {
    name: "airflow_etl",
    username: "airflow_etl",
    password: first,
  });
  await loginFails("airflow_etl", "initial-password-1");
  const client = await pg.connect("airflow_etl", first, DATABASE);
  await client.end();

  const second = vaultPassword();
  expect(second).not.toBe(first);
  await executeVaultStatements(vaultConnection, staticRotationStatements(), {
    name: "airflow_etl",
    username: "airflow_etl",
    password: second,
  });
  await loginFails("airflow_etl", first);
  const again = await pg.connect("airflow_etl", second, DATABASE);
  await again.end();
});
