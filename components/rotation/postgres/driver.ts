import { Client } from "pg";
import type { ConnectionOptions } from "tls";
import type { DatabaseConnection } from "../connection";
import type { DatabaseDriver, DatabaseSession } from "../driver";
import { redact, RotationError } from "../errors";
import { scramSha256Verifier } from "./scram";
import { POSTGRES_MAX_IDENTIFIER_BYTES, quoteIdentifier, quoteLiteral } from "./sql";
import { pgSslAttempts } from "./ssl";

const DEFAULT_PORT = 5432;
/** Pre-hashed SCRAM verifiers exist since PostgreSQL 10; older servers would hash the verifier text itself. */
const MIN_SERVER_VERSION_NUM = 100000;
/**
 * The client gives up on a statement (e.g. ALTER ROLE waiting on a lock) after this long, inside a
 * rotation function's deadline. Client-side because pgbouncer refuses statement_timeout as a startup
 * parameter; if the statement still completes later, the next attempt finds the password working.
 */
const STATEMENT_TIMEOUT_MS = 15_000;

export const postgresDriver: DatabaseDriver = {
  connType: "postgres",
  maxLoginBytes: POSTGRES_MAX_IDENTIFIER_BYTES,
  async open(connection) {
    const { client, serverVersion } = await connect(connection, pgSslAttempts(connection.sslMode));
    return new PostgresSession(client, connection.password, serverVersion);
  },
};

function describeTarget(connection: DatabaseConnection): string {
  return `login as "${connection.login}" at ${connection.host}:${connection.port ?? DEFAULT_PORT}`;
}

/** The server announces `server_version` during login (ParameterStatus): no query needed for it. */
interface Connected {
  client: Client;
  serverVersion?: string;
}

async function connect(
  connection: DatabaseConnection,
  [ssl, ...fallbacks]: Array<false | ConnectionOptions>,
): Promise<Connected> {
  const client = new Client({
    host: connection.host,
    port: connection.port ?? DEFAULT_PORT,
    // libpq's default database is the one named like the user; Airflow inherits it when schema is empty.
    database: connection.database ?? connection.login,
    user: connection.login,
    password: connection.password,
    ssl: ssl ?? false,
    connectionTimeoutMillis: connection.connectTimeoutMs,
    query_timeout: STATEMENT_TIMEOUT_MS,
  });
  // A dropped connection is reported by the next query; without a listener it would crash the process.
  client.on("error", () => undefined);
  let serverVersion: string | undefined;
  (client as unknown as { connection: NodeJS.EventEmitter }).connection.on(
    "parameterStatus",
    (message: { parameterName: string; parameterValue: string }) => {
      if (message.parameterName === "server_version") serverVersion = message.parameterValue;
    },
  );
  try {
    await client.connect();
    return { client, serverVersion };
  } catch (error) {
    await client.end().catch(() => undefined);
    if (fallbacks.length > 0 && error instanceof Error && /does not support SSL/.test(error.message)) {
      return connect(connection, fallbacks);
    }
    throw postgresError(error, describeTarget(connection), [connection.password]);
  }
}

/** Maps a `pg` or socket error to a RotationError whose text has every known secret removed. */
export function postgresError(error: unknown, action: string, secrets: readonly string[]): RotationError {
  if (error instanceof RotationError) return error;
  const { code, message, severity } = (error ?? {}) as {
    code?: unknown;
    message?: unknown;
    severity?: unknown;
  };
  const text = redact(typeof message === "string" ? message : String(error), secrets);
  const dbCode = typeof code === "string" ? code : undefined;
  const detail = `${action} failed: ${text}${dbCode ? ` (${dbCode})` : ""}`;
  if (dbCode === undefined || severity === undefined) {
    return new RotationError("DB_UNREACHABLE", detail, dbCode);
  }
  if (dbCode.startsWith("28")) return new RotationError("AUTH_FAILED", detail, dbCode);
  if (dbCode === "42501") return new RotationError("PERMISSION_DENIED", detail, dbCode);
  // Connection exceptions, too many connections, shutdown / starting up.
  if (/^(08|53|57P)/.test(dbCode)) return new RotationError("DB_UNREACHABLE", detail, dbCode);
  return new RotationError("DB_ERROR", detail, dbCode);
}

type RoleFlag =
  | "rolsuper"
  | "rolinherit"
  | "rolcreaterole"
  | "rolcreatedb"
  | "rolcanlogin"
  | "rolreplication"
  | "rolbypassrls";
type RoleAttributes = Record<RoleFlag, boolean> & { rolconnlimit: number };

const ROLE_FLAG_KEYWORDS: ReadonlyArray<[RoleFlag, string]> = [
  ["rolsuper", "SUPERUSER"],
  ["rolinherit", "INHERIT"],
  ["rolcreaterole", "CREATEROLE"],
  ["rolcreatedb", "CREATEDB"],
  ["rolcanlogin", "LOGIN"],
  ["rolreplication", "REPLICATION"],
  ["rolbypassrls", "BYPASSRLS"],
];

/** What `CREATE ROLE x` gives: the baseline a new clone's attributes are diffed against. */
const NEW_ROLE_ATTRIBUTES: RoleAttributes = {
  rolsuper: false,
  rolinherit: true,
  rolcreaterole: false,
  rolcreatedb: false,
  rolcanlogin: false,
  rolreplication: false,
  rolbypassrls: false,
  rolconnlimit: -1,
};

/**
 * Only attributes that differ are named: naming SUPERUSER, REPLICATION or BYPASSRLS at all needs
 * superuser, so a CREATEROLE master can clone an ordinary role.
 */
function attributeClauses(from: RoleAttributes, to: RoleAttributes): string[] {
  const clauses = ROLE_FLAG_KEYWORDS.filter(([flag]) => from[flag] !== to[flag]).map(([flag, keyword]) =>
    to[flag] ? keyword : `NO${keyword}`,
  );
  if (from.rolconnlimit !== to.rolconnlimit) clauses.push(`CONNECTION LIMIT ${Math.trunc(to.rolconnlimit)}`);
  return clauses;
}

class PostgresSession implements DatabaseSession {
  private serverChecked = false;

  constructor(
    private readonly client: Client,
    private readonly password: string,
    /** As announced at login (`16.4`, `9.6.24`, `17beta1`); undefined if the server did not say. */
    private readonly serverVersion?: string,
  ) {}

  private async run<Row extends Record<string, unknown>>(
    action: string,
    sql: string,
    params: unknown[] = [],
    secrets: readonly string[] = [],
  ): Promise<Row[]> {
    try {
      return (await this.client.query<Row>(sql, params)).rows;
    } catch (error) {
      throw postgresError(error, action, [this.password, ...secrets]);
    }
  }

  private async requireScramSupport(): Promise<void> {
    if (this.serverChecked) return;
    // server_version_num's major part is what the login announced; ask only when it announced nothing.
    const announcedMajor = Number.parseInt(this.serverVersion ?? "", 10);
    const [{ version }] = Number.isFinite(announcedMajor)
      ? [{ version: String(announcedMajor * 10000) }]
      : await this.run<{ version: string }>(
          "reading the server version",
          "SELECT current_setting('server_version_num') AS version",
        );
    if (Number(version) < MIN_SERVER_VERSION_NUM) {
      throw new RotationError(
        "UNSUPPORTED_SERVER",
        `PostgreSQL ${this.serverVersion ?? version} predates SCRAM-SHA-256 verifiers (10+ required)`,
      );
    }
    this.serverChecked = true;
  }

  async setPassword(login: string, newPassword: string): Promise<void> {
    await this.requireScramSupport();
    const verifier = scramSha256Verifier(newPassword);
    await this.run(
      `setting the password of "${login}"`,
      `ALTER ROLE ${quoteIdentifier(login)} PASSWORD ${quoteLiteral(verifier)}`,
      [],
      [newPassword],
    );
  }

  async ensureClone(original: string, clone: string): Promise<void> {
    const action = `cloning "${original}" as "${clone}"`;
    await this.run(action, "BEGIN");
    try {
      const roles = await this.run<RoleAttributes & { rolname: string }>(
        action,
        `SELECT rolname::text AS rolname, ${ROLE_FLAG_KEYWORDS.map(([flag]) => flag).join(", ")}, rolconnlimit
           FROM pg_roles WHERE rolname::text = ANY($1::text[])`,
        [[original, clone]],
      );
      const source = roles.find((r) => r.rolname === original);
      if (!source) {
        throw new RotationError(
          "ROLE_NOT_FOUND",
          `role "${original}" does not exist, so there is nothing to clone`,
        );
      }
      const existing = roles.find((r) => r.rolname === clone);
      const clauses = attributeClauses(existing ?? NEW_ROLE_ATTRIBUTES, { ...source, rolcanlogin: true });
      if (!existing) {
        await this.run(action, `CREATE ROLE ${quoteIdentifier(clone)} WITH ${clauses.join(" ")}`);
      } else if (clauses.length > 0)
        await this.run(action, `ALTER ROLE ${quoteIdentifier(clone)} WITH ${clauses.join(" ")}`);

      // The original's own memberships, literally, so role checks (pg_has_role, SET ROLE) agree; plus
      // membership in the original itself, which carries every privilege granted to it directly and
      // the rights of an owner over its objects without copying each ACL.
      const memberships = await this.run<{ member: string; role: string; admin: boolean }>(
        action,
        `SELECT u.rolname::text AS member, r.rolname::text AS role, bool_or(m.admin_option) AS admin
           FROM pg_auth_members m
           JOIN pg_roles r ON r.oid = m.roleid
           JOIN pg_roles u ON u.oid = m.member
          WHERE u.rolname::text = ANY($1::text[])
          GROUP BY u.rolname, r.rolname`,
        [[original, clone]],
      );
      const held = new Map(memberships.filter((m) => m.member === clone).map((m) => [m.role, m.admin]));
      const wanted = [...memberships.filter((m) => m.member === original), { role: original, admin: false }];
      for (const { role, admin } of wanted) {
        if (held.has(role) && (held.get(role) || !admin)) continue;
        const withAdmin = admin ? " WITH ADMIN OPTION" : "";
        await this.run(action, `GRANT ${quoteIdentifier(role)} TO ${quoteIdentifier(clone)}${withAdmin}`);
      }
      await this.run(action, "COMMIT");
    } catch (error) {
      await this.client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }

  async ping(): Promise<void> {
    await this.run("running SELECT 1", "SELECT 1");
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
