import { driverFor, type DatabaseDriver } from "./driver";
import { RotationError } from "./errors";

/**
 * A connection secret as stored: Airflow's JSON connection shape (conn_type, host, port, schema,
 * login, password, extra) plus whatever other keys the store keeps beside it, which rotation
 * carries over untouched.
 */
export type AirflowConnectionJson = Record<string, unknown>;

/** libpq's sslmode values, which Airflow passes through from `extra`. */
export const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** libpq's default, which Airflow inherits when `extra` has no sslmode. */
const DEFAULT_SSL_MODE: SslMode = "prefer";
/** libpq waits forever without connect_timeout; a rotation function has a deadline, so bound it. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** What a driver needs to reach the server and log in, read from an Airflow connection. */
export interface DatabaseConnection {
  driver: DatabaseDriver;
  host: string;
  /** Absent: the driver's default port. */
  port?: number;
  /** Airflow's `schema`. Absent: the driver's default (PostgreSQL: a database named like the login). */
  database?: string;
  login: string;
  password: string;
  sslMode: SslMode;
  connectTimeoutMs: number;
}

/** Parses a stored secret string; the error never echoes the text (V8's JSON errors quote it). */
export function parseConnectionJson(text: string, label: string): AirflowConnectionJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RotationError(
      "INVALID_FIELD",
      `${label} is not valid JSON (Airflow's JSON connection shape is required)`,
    );
  }
  if (!isObject(value)) throw new RotationError("INVALID_FIELD", `${label} is not a JSON object`);
  return value;
}

/** Validates the fields rotation needs; conn_type is checked first so a non-database secret says so. */
export function readDatabaseConnection(secret: AirflowConnectionJson, label: string): DatabaseConnection {
  const driver = driverFor(requiredString(secret, "conn_type", label), label);
  const host = requiredString(secret, "host", label);
  const login = requiredString(secret, "login", label);
  const password = requiredString(secret, "password", label);
  const extra = readExtra(secret.extra, label);
  return {
    driver,
    host,
    port: readPort(secret.port, label),
    database: optionalString(secret, "schema", label),
    login,
    password,
    sslMode: readSslMode(extra.sslmode, label),
    connectTimeoutMs: readConnectTimeout(extra.connect_timeout, label),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function requiredString(secret: AirflowConnectionJson, field: string, label: string): string {
  const value = secret[field];
  if (value === undefined || value === null || value === "") {
    throw new RotationError("MISSING_FIELD", `${label} has no "${field}"`);
  }
  if (typeof value !== "string") {
    throw new RotationError("INVALID_FIELD", `${label} field "${field}" must be a string`);
  }
  return value;
}

function optionalString(secret: AirflowConnectionJson, field: string, label: string): string | undefined {
  const value = secret[field];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") {
    throw new RotationError("INVALID_FIELD", `${label} field "${field}" must be a string`);
  }
  return value;
}

/** Airflow stores `port` as an integer but its AWS backend also accepts a numeric string (`int(port)`). */
function readPort(value: unknown, label: string): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const port = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RotationError("INVALID_FIELD", `${label} field "port" must be an integer from 1 to 65535`);
  }
  return port;
}

/** `extra` is a JSON string in Airflow's shape; a JSON object is accepted too (Connection.from_json does). */
function readExtra(value: unknown, label: string): Record<string, unknown> {
  if (value === undefined || value === null || value === "") return {};
  if (isObject(value)) return value;
  if (typeof value === "string") {
    try {
      const parsed: unknown = JSON.parse(value);
      if (isObject(parsed)) return parsed;
    } catch {
      // Reported below without echoing the text.
    }
  }
  throw new RotationError(
    "INVALID_FIELD",
    `${label} field "extra" must be a JSON object or a string holding one`,
  );
}

function readSslMode(value: unknown, label: string): SslMode {
  if (value === undefined || value === null || value === "") return DEFAULT_SSL_MODE;
  if (typeof value === "string" && (SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
  throw new RotationError("INVALID_FIELD", `${label} extra "sslmode" must be one of ${SSL_MODES.join(", ")}`);
}

/** libpq's connect_timeout is in seconds; zero or negative means "no limit", which we replace by the default. */
function readConnectTimeout(value: unknown, label: string): number {
  if (value === undefined || value === null || value === "") return DEFAULT_CONNECT_TIMEOUT_MS;
  const seconds = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof seconds !== "number" || !Number.isInteger(seconds)) {
    throw new RotationError(
      "INVALID_FIELD",
      `${label} extra "connect_timeout" must be an integer number of seconds`,
    );
  }
  return seconds > 0 ? seconds * 1000 : DEFAULT_CONNECT_TIMEOUT_MS;
}
