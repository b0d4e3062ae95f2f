/**
 * The one error type of the rotation core. Messages name fields, logins, hosts and SQLSTATEs,
 * never a password or a secret's value: they end up in Lambda / Cloud Function logs.
 */
export type RotationErrorCode =
  /** The connection's conn_type has no rotation driver. */
  | "UNSUPPORTED_CONN_TYPE"
  /** A required connection field (host, login, password, conn_type) is absent or empty. */
  | "MISSING_FIELD"
  /** A field is present but unusable (bad port, unknown sslmode, secret not a JSON object, NUL byte). */
  | "INVALID_FIELD"
  /** Rotation settings are unusable (password length, strategy name, missing master secret). */
  | "INVALID_CONFIG"
  /** The pending connection does not describe the same database and login rule as the current one. */
  | "PENDING_MISMATCH"
  /** A login name would exceed the database's identifier limit (it would be silently truncated). */
  | "IDENTIFIER_TOO_LONG"
  /** The role whose grants a clone copies does not exist. */
  | "ROLE_NOT_FOUND"
  /** The server is too old for the password-setting method (PostgreSQL < 10 has no SCRAM). */
  | "UNSUPPORTED_SERVER"
  /** Network, TLS or server-availability failure: nothing was changed by this attempt. */
  | "DB_UNREACHABLE"
  /** The server rejected the login. */
  | "AUTH_FAILED"
  /** The logged-in role may not perform the change (e.g. master lacks CREATEROLE / ADMIN OPTION). */
  | "PERMISSION_DENIED"
  /** Any other database error. */
  | "DB_ERROR"
  /** The secret store says rotation is not enabled for the secret. */
  | "ROTATION_NOT_ENABLED"
  /** The rotation token is not a version of the secret. */
  | "TOKEN_NOT_FOUND"
  /** The token's version is neither pending nor current (another rotation superseded it). */
  | "VERSION_NOT_PENDING"
  /** The invocation itself is malformed (unknown step, missing token). */
  | "INVALID_EVENT";

export class RotationError extends Error {
  override readonly name = "RotationError";
  constructor(
    readonly code: RotationErrorCode,
    /** The message without the code prefix. */
    readonly detail: string,
    /** SQLSTATE or socket error code when the database reported one. */
    readonly dbCode?: string,
  ) {
    super(`${code}: ${detail}`);
  }

  /** The same error with a prefix saying whose credential or which secret was involved. */
  withContext(context: string): RotationError {
    return new RotationError(this.code, `${context}: ${this.detail}`, this.dbCode);
  }
}

/** Replaces every occurrence of each secret with `***` (for server messages we do not control). */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length > 0).reduce((acc, secret) => acc.split(secret).join("***"), text);
}
