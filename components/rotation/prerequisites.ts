import type { AirflowSettings } from "../airflow/airflowConfig";
import {
  AIRFLOW_DEFAULT_CACHE_TTL_SECONDS,
  DEFAULT_LONGEST_TASK_HOURS,
  defaultConnectionFormat,
  parseAirflowVersion,
} from "../airflow/airflowConfig";
import type { ConnectionDeclaration, SecretsDeclarations } from "../airflow/declarations";
import { Problems } from "../airflow/problems";
import { type DatabaseDriver, driverFor } from "./driver";
import { RotationError } from "./errors";
import { MAX_PASSWORD_LENGTH, PASSWORD_CHARACTER_CLASSES } from "./password";
import { alternateLogin } from "./rotate";
import { isRotationStrategy } from "./strategy";

/**
 * Everything a rotator (AWS Lambda, GCP Cloud Function, Azure Function) would refuse at its first run,
 * found before anything is registered, so a stack never deploys a rotation that can only fail:
 *
 * - rotated connections must be stored as JSON (the rotator rewrites fields of Airflow's JSON form);
 * - the rotation core needs a driver for each rotated conn_type and for its master's conn_type (the
 *   rotator logs in with the master to change the other login);
 * - every login the strategy would use — the login and, for alternating users, `alternateLogin(login)` —
 *   must fit the driver's `maxLoginBytes`, else the database truncates it and every rotation fails.
 *
 * Declarations arrive salvaged (some may be malformed); whatever the declaration checks already refuse
 * is skipped here rather than reported twice. A login that is not a plain string (a secret or another
 * resource's output) is unknown now and checked by the rotator at run time. Messages name fields and
 * byte counts, never a login or another value.
 */
export function checkRotationPrerequisites(
  declarations: SecretsDeclarations,
  airflow: AirflowSettings,
  problems: Problems,
): void {
  const connections = Array.isArray(declarations?.connections) ? declarations.connections : [];
  const rotated = connections.filter(isRotatedConnection);
  if (rotated.length === 0) return;

  checkJsonFormat(rotated, airflow, problems);
  for (const conn of rotated) {
    checkDriversAndLogins(conn, connections, problems);
    checkConsumerWindow(conn, airflow, problems);
  }
}

/**
 * Alternating users keep the previous login valid for one rotation period; a consumer may still hold
 * it for the secrets cache TTL plus the longest task (a task keeps the credential it read at start).
 * A shorter period would fail those tasks: refused, with the numbers. (Single-user rotation has no
 * such window; the README says what that means with the cache on.)
 */
function checkConsumerWindow(conn: RotatedConnection, airflow: AirflowSettings, problems: Problems): void {
  const everyDays = conn.rotation.everyDays;
  if (conn.rotation.strategy !== "alternating-users" || !Number.isInteger(everyDays)) return;
  const cacheSeconds =
    airflow?.cache?.enabled === true ? (airflow.cache.ttlSeconds ?? AIRFLOW_DEFAULT_CACHE_TTL_SECONDS) : 0;
  const taskHours = Number.isInteger(airflow?.longestTaskHours)
    ? airflow.longestTaskHours!
    : DEFAULT_LONGEST_TASK_HOURS;
  const neededSeconds = cacheSeconds + taskHours * 3600;
  problems.check(
    everyDays * 86400 > neededSeconds,
    `connections[${conn.conn_id}].rotation.everyDays`,
    () =>
      `alternating users keep the previous login valid for one rotation period (${everyDays * 24} h), which must exceed the secrets cache TTL (${cacheSeconds} s) plus the longest task (airflow.longestTaskHours, ${taskHours} h); rotate less often or lower airflow.longestTaskHours`,
  );
}

type RotatedConnection = ConnectionDeclaration & { rotation: NonNullable<ConnectionDeclaration["rotation"]> };

function isRotatedConnection(conn: ConnectionDeclaration | undefined | null): conn is RotatedConnection {
  return (
    typeof conn === "object" &&
    conn !== null &&
    typeof conn.conn_id === "string" &&
    typeof conn.rotation === "object" &&
    conn.rotation !== null
  );
}

/** One problem at the setting that chose URI, naming the connections it blocks (ids are not secret). */
function checkJsonFormat(
  rotated: readonly RotatedConnection[],
  airflow: AirflowSettings,
  problems: Problems,
): void {
  // An unparsable version is the declaration checks' problem; reporting a format on top would guess.
  const version = parseAirflowVersion(airflow?.version, new Problems());
  if (version === undefined) return;
  if (defaultConnectionFormat(airflow, version) === "json") return;
  const ids = rotated.map((conn) => conn.conn_id).join(", ");
  problems.add(
    "airflow.connectionFormat",
    `rotated connections (${ids}) must be stored as JSON: the rotator rewrites the login and password fields of Airflow's JSON connection form, and a URI value cannot be rotated; use "json" (Airflow 2.3 or later)`,
  );
}

function checkDriversAndLogins(
  conn: RotatedConnection,
  connections: readonly (ConnectionDeclaration | undefined | null)[],
  problems: Problems,
): void {
  const label = `connections[${conn.conn_id}]`;
  const driver = driverForDeclaration(conn.conn_type, label, `${label}.conn_type`, problems);

  const strategy = conn.rotation.strategy;
  const masterConnId = strategy === "alternating-users" ? conn.rotation.masterConnId : undefined;
  const master =
    masterConnId === undefined ? undefined : connections.find((c) => c?.conn_id === masterConnId);
  // A missing master is refused by the declaration checks; a self-master needs no second driver.
  if (master && master !== conn)
    driverForDeclaration(
      master.conn_type,
      `the master connections[${master.conn_id}]`,
      `${label}.rotation.masterConnId`,
      problems,
    );

  if (driver === undefined || typeof conn.login !== "string" || !isRotationStrategy(strategy)) return;
  const logins =
    strategy === "alternating-users"
      ? [
          { login: conn.login, role: "the login" },
          { login: alternateLogin(conn.login), role: "its alternate login" },
        ]
      : [{ login: conn.login, role: "the login" }];
  for (const { login, role } of logins) {
    const bytes = Buffer.byteLength(login, "utf8");
    problems.check(
      bytes <= driver.maxLoginBytes,
      `${label}.login`,
      () =>
        `${strategy} would use ${role}, ${bytes} bytes in UTF-8; ${driver.connType} keeps identifiers of at most ${driver.maxLoginBytes} bytes, so every rotation would fail (IDENTIFIER_TOO_LONG)`,
    );
  }
}

/** The rotation core's driver for a conn_type, or a problem at `path` saying rotation has none for it. */
function driverForDeclaration(
  connType: unknown,
  label: string,
  path: string,
  problems: Problems,
): DatabaseDriver | undefined {
  // A missing or non-string conn_type is the declaration checks' problem.
  if (typeof connType !== "string") return undefined;
  try {
    return driverFor(connType, label);
  } catch (error) {
    if (!(error instanceof RotationError)) throw error;
    problems.add(path, error.detail);
    return undefined;
  }
}

/** Shortest generated password a deployment may ask for (a rotator accepts 1; no stack should). */
export const MIN_DEPLOYED_PASSWORD_LENGTH = 16;

/**
 * A backend's password settings for its rotator, held to what the rotator would refuse at its first
 * run (a length outside 1–4096, exclusions that leave no character to draw) plus this library's floor
 * of 16 characters. `paths` are the settings' field paths; the excluded characters are never quoted.
 */
export function checkRotatorPasswordSettings(
  settings: { length?: unknown; excludeCharacters?: unknown },
  paths: { length: string; excludeCharacters: string },
  problems: Problems,
  maxLength: number = MAX_PASSWORD_LENGTH,
): void {
  const { length, excludeCharacters } = settings;
  if (length !== undefined)
    problems.check(
      typeof length === "number" &&
        Number.isInteger(length) &&
        length >= MIN_DEPLOYED_PASSWORD_LENGTH &&
        length <= Math.min(maxLength, MAX_PASSWORD_LENGTH),
      paths.length,
      () =>
        `must be a whole number from ${MIN_DEPLOYED_PASSWORD_LENGTH} to ${Math.min(maxLength, MAX_PASSWORD_LENGTH)}`,
    );
  if (excludeCharacters === undefined) return;
  if (!problems.check(typeof excludeCharacters === "string", paths.excludeCharacters, "must be a string"))
    return;
  const excluded = new Set(excludeCharacters as string);
  const left = Object.values(PASSWORD_CHARACTER_CLASSES)
    .join("")
    .split("")
    .filter((ch) => !excluded.has(ch)).length;
  problems.check(
    left > 0,
    paths.excludeCharacters,
    "excludes every character a password is drawn from (printable ASCII without space), so every rotation would fail (INVALID_CONFIG)",
  );
}
