import type { DatabaseConnection } from "./connection";
import { RotationError } from "./errors";
import { postgresDriver } from "./postgres/driver";

/**
 * One logged-in session. Every method quotes identifiers itself and never places a plaintext
 * password in SQL text where the server could log it.
 */
export interface DatabaseSession {
  /** Sets `login`'s password: the session's own login (single user) or another role (master). */
  setPassword(login: string, newPassword: string): Promise<void>;
  /**
   * Makes `clone` a login with the attributes, role memberships and object privileges of
   * `original`, creating it when absent. Idempotent: a retry finds nothing left to do. Never
   * revokes anything from `clone`.
   */
  ensureClone(original: string, clone: string): Promise<void>;
  /** Runs a trivial statement: a login that cannot run one does not count as working. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The database-specific half of rotation. The strategies in `rotate.ts` are written against this
 * interface only. The MySQL driver slots in here: `maxLoginBytes` 32, `setPassword` via
 * `ALTER USER 'u'@'host' IDENTIFIED WITH caching_sha2_password AS <hash>` (or a quoted literal),
 * `ensureClone` by replaying `SHOW GRANTS FOR original` onto the clone, for every host part
 * the original account has — then one line in `DRIVERS` below.
 */
export interface DatabaseDriver {
  /** The Airflow conn_type this driver serves. */
  readonly connType: string;
  /** Longest login the database keeps intact, in UTF-8 bytes (longer ones are truncated or refused). */
  readonly maxLoginBytes: number;
  /** Logs in. Fails with DB_UNREACHABLE, AUTH_FAILED or DB_ERROR; the message names no password. */
  open(connection: DatabaseConnection): Promise<DatabaseSession>;
}

const DRIVERS: Readonly<Record<string, DatabaseDriver>> = {
  [postgresDriver.connType]: postgresDriver,
};

export function driverFor(connType: string, label: string): DatabaseDriver {
  const driver = DRIVERS[connType];
  if (driver) return driver;
  const supported = Object.keys(DRIVERS).join(", ");
  const hint =
    connType === "mysql"
      ? " (MySQL needs a DatabaseDriver implementation, see components/rotation/driver.ts)"
      : "";
  throw new RotationError(
    "UNSUPPORTED_CONN_TYPE",
    `${label} has conn_type "${connType}", which rotation does not support${hint}; supported: ${supported}`,
  );
}
