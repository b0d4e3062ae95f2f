/**
 * The slice of Secret Manager the rotator uses, as an interface: the deployed function implements it
 * over the REST API (`restClient.ts`), tests with an in-memory fake. Semantics follow the API:
 * versions are numbered from 1 in creation order, `versions/latest` is the most recently created
 * version whatever its state, and only an ENABLED version's payload can be accessed.
 */

export type SecretVersionState = "ENABLED" | "DISABLED" | "DESTROYED";

export interface SecretVersionMetadata {
  /** `projects/P/secrets/S/versions/N`: the resolved number, also when `latest` was asked for. */
  name: string;
  /** RFC 3339 with up to nanosecond precision, set by Secret Manager. */
  createTime: string;
  state: SecretVersionState;
}

/** google.rpc.Code names the rotator distinguishes. */
export type SecretManagerErrorCode =
  | "NOT_FOUND"
  | "FAILED_PRECONDITION"
  | "PERMISSION_DENIED"
  | "INVALID_ARGUMENT"
  | "ABORTED"
  | "UNAVAILABLE"
  | "DEADLINE_EXCEEDED"
  | "RESOURCE_EXHAUSTED"
  | "INTERNAL"
  | "UNAUTHENTICATED"
  | "UNKNOWN";

/** Worth retrying: the request may succeed later without anyone changing anything. */
export const TRANSIENT_SECRET_MANAGER_CODES: ReadonlySet<SecretManagerErrorCode> = new Set([
  "ABORTED",
  "UNAVAILABLE",
  "DEADLINE_EXCEEDED",
  "RESOURCE_EXHAUSTED",
  "INTERNAL",
  "UNKNOWN",
]);

export class SecretManagerError extends Error {
  override readonly name = "SecretManagerError";
  constructor(
    readonly code: SecretManagerErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface SecretManagerClient {
  /** GetSecretVersion: metadata only (needs `secretmanager.versions.get`). */
  getSecretVersion(name: string): Promise<SecretVersionMetadata>;
  /** AccessSecretVersion: the payload; FAILED_PRECONDITION unless the version is ENABLED. */
  accessSecretVersion(name: string): Promise<{ name: string; data: Buffer }>;
  /** AddSecretVersion: a new ENABLED version, which becomes `latest`. */
  addSecretVersion(secret: string, data: Buffer): Promise<SecretVersionMetadata>;
}

/** RFC 3339 as nanoseconds since the epoch, exact (JavaScript dates stop at milliseconds). */
export function rfc3339Nanos(time: string): bigint {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(time);
  if (!match) throw new Error(`not an RFC 3339 time: ${JSON.stringify(time)}`);
  const seconds = Date.parse(`${match[1]}${match[3].toUpperCase()}`);
  if (Number.isNaN(seconds)) throw new Error(`not an RFC 3339 time: ${JSON.stringify(time)}`);
  return BigInt(seconds) * 1_000_000n + BigInt((match[2] ?? "").padEnd(9, "0"));
}
