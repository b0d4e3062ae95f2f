/**
 * The rotation core's runtime, for this package's rotators and tests only: not in package.json
 * "exports", so no user code can depend on it (the public API is `./index`).
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
