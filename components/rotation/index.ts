/**
 * Cloud-neutral credential rotation: password generation, the single-user and alternating-users
 * strategies over Airflow's JSON connection shape, and the database drivers (PostgreSQL).
 */
export * from "./errors";
export * from "./password";
export * from "./strategy";
export * from "./connection";
export type { DatabaseDriver, DatabaseSession } from "./driver";
export * from "./rotate";
export { quoteIdentifier, quoteLiteral, POSTGRES_MAX_IDENTIFIER_BYTES } from "./postgres/sql";
export { scramSha256Verifier, SCRAM_ITERATIONS } from "./postgres/scram";
export { pgSslAttempts } from "./postgres/ssl";
