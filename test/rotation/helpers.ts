/** Shared by the rotation tests: roles on the test Postgres and connection secrets for them. */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { TestPostgres } from "../support/postgres";
import type { AirflowConnectionJson } from "../../components/rotation";

let counter = 0;
/** A role name no other test uses (lower case, so it needs no quoting in the tests' own SQL). */
export function uniqueRole(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${counter}`;
}

export function randomPassword(): string {
  return randomBytes(12).toString("base64url");
}

/** Creates a login role (identifier and password passed through the superuser's own quoting). */
export async function createLoginRole(pg: TestPostgres, role: string, password: string): Promise<void> {
  const client = await pg.connect();
  try {
    const { rows } = await client.query<{ ident: string; literal: string }>(
      "SELECT quote_ident($1) AS ident, quote_literal($2) AS literal",
      [role, password],
    );
    await client.query(`CREATE ROLE ${rows[0].ident} LOGIN PASSWORD ${rows[0].literal}`);
  } finally {
    await client.end();
  }
}

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

/** Whether the connection's login and password are accepted right now. */
export async function canLogIn(pg: TestPostgres, json: AirflowConnectionJson): Promise<boolean> {
  try {
    const client = await pg.connect(
      String(json.login),
      String(json.password),
      String(json.schema ?? "postgres"),
    );
    await client.end();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "28P01") return false;
    throw error;
  }
}

/**
 * A temp directory laid out like a Lambda task root: `index.js` holding the bundle, and only
 * `@aws-sdk` resolvable (as the Node.js runtime provides it). The caller removes it.
 */
export function lambdaLikeDirectory(bundle: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rotation-bundle-"));
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(
    path.resolve(__dirname, "../../node_modules/@aws-sdk"),
    path.join(dir, "node_modules", "@aws-sdk"),
  );
  fs.writeFileSync(path.join(dir, "index.js"), bundle);
  return dir;
}
