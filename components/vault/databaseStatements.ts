/**
 * PostgreSQL statements for Vault's database secrets engine, as templates Vault fills in: `{{name}}`
 * and `{{username}}` (the generated or static user), `{{password}}` (from Vault's password policy)
 * and `{{expiration}}` (`2006-01-02 15:04:05-0700`). Vault splits each statement on `;` and runs
 * the pieces in one transaction, so no literal here contains a `;` and identifiers are quoted once,
 * here, from validated names.
 */
import { Problems } from "../airflow";

export type DatabaseAccess = "read-only" | "read-write";
export const DATABASE_ACCESS: readonly DatabaseAccess[] = ["read-only", "read-write"];

/** What a dynamic role may touch. */
export interface PostgresGrantScope {
  /** Database the connection URL points at (grants are per database). */
  database: string;
  /** Schemas whose tables and sequences the role reads (and, for read-write, writes). */
  schemas: string[];
  access: DatabaseAccess;
  /** Read-write only: also `CREATE` in the schemas, so the role can own tables (revocation reassigns them). */
  allowCreate?: boolean;
  /**
   * Who receives objects a revoked user owned; defaults to `CURRENT_USER` (Vault's connection user).
   * Vault's user must be able to act as this role.
   */
  reassignOwnedTo?: string;
}

/** PostgreSQL identifiers we generate grants for: plain names, at most 63 bytes. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

/** `"name"` with embedded quotes doubled (identifiers are validated first; this is belt and braces). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function checkIdentifier(name: string, field: string, problems: Problems): boolean {
  return problems.check(
    typeof name === "string" && IDENTIFIER.test(name),
    field,
    `must be a PostgreSQL name: a letter or _, then letters, digits, _, $ or -, at most 63 characters`,
  );
}

export function validateGrantScope(scope: PostgresGrantScope, problems: Problems, field: string): void {
  checkIdentifier(scope.database, `${field}.database`, problems);
  if (
    problems.check(
      Array.isArray(scope.schemas) && scope.schemas.length > 0,
      `${field}.schemas`,
      "must name at least one schema",
    )
  ) {
    scope.schemas.forEach((schema, i) => checkIdentifier(schema, `${field}.schemas[${i}]`, problems));
    problems.check(
      new Set(scope.schemas).size === scope.schemas.length,
      `${field}.schemas`,
      "must not repeat a schema",
    );
  }
  problems.check(
    DATABASE_ACCESS.includes(scope.access),
    `${field}.access`,
    `must be ${DATABASE_ACCESS.map((a) => `"${a}"`).join(" or ")}`,
  );
  if (scope.allowCreate) {
    problems.check(
      scope.access === "read-write",
      `${field}.allowCreate`,
      "only a read-write role may create objects",
    );
  }
  if (scope.reassignOwnedTo !== undefined)
    checkIdentifier(scope.reassignOwnedTo, `${field}.reassignOwnedTo`, problems);
}

const USER = '"{{name}}"';

/**
 * Creates a login that expires with its lease and holds exactly the scope's privileges: `CONNECT`,
 * `USAGE` on the schemas, `SELECT` on their tables and sequences, plus `INSERT/UPDATE/DELETE` and
 * sequence `USAGE/UPDATE` for read-write (and `CREATE` when allowed).
 */
export function creationStatements(scope: PostgresGrantScope): string[] {
  const schemas = scope.schemas.map(quoteIdentifier).join(", ");
  const statements = [
    `CREATE ROLE ${USER} WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;`,
    `GRANT CONNECT ON DATABASE ${quoteIdentifier(scope.database)} TO ${USER};`,
  ];
  if (scope.access === "read-only") {
    statements.push(
      `GRANT USAGE ON SCHEMA ${schemas} TO ${USER};`,
      `GRANT SELECT ON ALL TABLES IN SCHEMA ${schemas} TO ${USER};`,
      `GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${schemas} TO ${USER};`,
    );
  } else {
    statements.push(
      `GRANT USAGE${scope.allowCreate ? ", CREATE" : ""} ON SCHEMA ${schemas} TO ${USER};`,
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schemas} TO ${USER};`,
      `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${schemas} TO ${USER};`,
    );
  }
  return statements;
}

/** Extends the login's validity when Vault renews the lease (Vault's own default, stated explicitly). */
export function renewStatements(): string[] {
  return [`ALTER ROLE ${USER} VALID UNTIL '{{expiration}}';`];
}

/**
 * Removes the user whether or not it owns objects: Vault's user first takes membership (PostgreSQL
 * 16+ gives a role's creator ADMIN but not its privileges, and REASSIGN/DROP OWNED need them), then
 * owned objects go to `reassignOwnedTo`, remaining privileges are dropped and the role is dropped.
 */
export function revocationStatements(scope: Pick<PostgresGrantScope, "reassignOwnedTo">): string[] {
  const heir = scope.reassignOwnedTo ? quoteIdentifier(scope.reassignOwnedTo) : "CURRENT_USER";
  return [
    `GRANT ${USER} TO CURRENT_USER;`,
    `REASSIGN OWNED BY ${USER} TO ${heir};`,
    `DROP OWNED BY ${USER};`,
    `DROP ROLE IF EXISTS ${USER};`,
  ];
}

/** Static roles: Vault sets a fresh password on its schedule (the user itself is the DBA's). */
export function staticRotationStatements(): string[] {
  return [`ALTER ROLE ${USER} WITH PASSWORD '{{password}}';`];
}

/**
 * `postgresql://{{username}}:{{password}}@host:port/database?sslmode=…`: Vault fills in its own
 * (rotatable) root credentials, so the URL itself holds no secret.
 */
export function postgresConnectionUrl(host: string, port: number, database: string, sslmode: string): string {
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return `postgresql://{{username}}:{{password}}@${hostPart}:${port}/${encodeURIComponent(database)}?sslmode=${encodeURIComponent(sslmode)}`;
}
