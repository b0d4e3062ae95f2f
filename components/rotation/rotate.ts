/**
 * The rotation strategies, cloud-neutral: each cloud's function maps its own protocol steps onto
 * `pendingConnectionJson` (create), `applyPendingCredential` (set) and `verifyLogin` (test).
 */
import { readDatabaseConnection, type AirflowConnectionJson, type DatabaseConnection } from "./connection";
import type { DatabaseDriver, DatabaseSession } from "./driver";
import { RotationError } from "./errors";
import type { RotationStrategy } from "./strategy";

/** Alternating users keep `login` and `login` + this suffix. */
export const CLONE_SUFFIX = "_clone";

function baseLogin(login: string): string {
  return login.endsWith(CLONE_SUFFIX) ? login.slice(0, -CLONE_SUFFIX.length) : login;
}

/** The other login of an alternating pair: `app` ↔ `app_clone`. */
export function alternateLogin(login: string): string {
  return login.endsWith(CLONE_SUFFIX) ? baseLogin(login) : login + CLONE_SUFFIX;
}

function checkLoginLength(driver: DatabaseDriver, login: string): void {
  const bytes = Buffer.byteLength(login, "utf8");
  if (bytes > driver.maxLoginBytes) {
    throw new RotationError(
      "IDENTIFIER_TOO_LONG",
      `login "${login}" is ${bytes} bytes; ${driver.connType} keeps only ${driver.maxLoginBytes} and would truncate it`,
    );
  }
}

/**
 * The next version of a connection secret: every key of `current` kept as it is (Airflow keeps
 * reading the same shape), `password` replaced and, for alternating users, `login` flipped.
 */
export function pendingConnectionJson(
  current: AirflowConnectionJson,
  strategy: RotationStrategy,
  newPassword: string,
): AirflowConnectionJson {
  const connection = readDatabaseConnection(current, "current secret");
  const login = strategy === "alternating-users" ? alternateLogin(connection.login) : connection.login;
  checkLoginLength(connection.driver, login);
  if (strategy === "single-user") return { ...current, password: newPassword };
  // Without a schema the database is the one named like the login (libpq's default): flipping the
  // login would send the other login (and Airflow) to another database, so pin the current one.
  return { ...current, login, password: newPassword, schema: effectiveDatabase(connection) };
}

/** The database a connection reaches: its schema, else (libpq's default) the one named like the login. */
function effectiveDatabase(connection: DatabaseConnection): string {
  return connection.database ?? connection.login;
}

/** Opens a session, runs `work`, closes it, unless `keep` takes it over after `work` succeeded. */
async function withSession<T>(
  connection: DatabaseConnection,
  label: string,
  work: (session: DatabaseSession) => Promise<T>,
  keep?: (session: DatabaseSession) => void,
): Promise<T> {
  let session: DatabaseSession;
  try {
    session = await connection.driver.open(connection);
  } catch (error) {
    throw error instanceof RotationError ? error.withContext(label) : error;
  }
  let kept = false;
  try {
    const result = await work(session);
    if (keep) {
      keep(session);
      kept = true;
    }
    return result;
  } catch (error) {
    throw error instanceof RotationError ? error.withContext(label) : error;
  } finally {
    if (!kept) await session.close();
  }
}

async function logsIn(connection: DatabaseConnection, label: string): Promise<boolean> {
  try {
    await withSession(connection, label, (session) => session.ping());
    return true;
  } catch (error) {
    if (error instanceof RotationError && error.code === "AUTH_FAILED") return false;
    throw error;
  }
}

/** Logs in with the connection and runs a statement; throws a RotationError saying why not. */
export async function verifyLogin(secret: AirflowConnectionJson, label = "connection"): Promise<void> {
  const connection = readDatabaseConnection(secret, label);
  await withSession(connection, label, (session) => session.ping());
}

/** A tampered or stale pending secret must not steer the change to another server or role. */
function checkPendingMatches(
  current: DatabaseConnection,
  pending: DatabaseConnection,
  strategy: RotationStrategy,
): void {
  const expectedLogin = strategy === "alternating-users" ? alternateLogin(current.login) : current.login;
  const differences: Array<[string, boolean]> = [
    ["conn_type", pending.driver !== current.driver],
    ["host", pending.host !== current.host],
    ["port", pending.port !== current.port],
    ["schema", effectiveDatabase(pending) !== effectiveDatabase(current)],
    [`login (expected "${expectedLogin}" for ${strategy})`, pending.login !== expectedLogin],
  ];
  const mismatch = differences.find(([, differs]) => differs);
  if (mismatch) {
    throw new RotationError(
      "PENDING_MISMATCH",
      `pending secret differs from the current one in ${mismatch[0]}`,
    );
  }
}

export interface ApplyPendingOptions {
  current: AirflowConnectionJson;
  pending: AirflowConnectionJson;
  strategy: RotationStrategy;
  /** The master credential (same JSON shape); only called for alternating users when a change is needed. */
  loadMaster?: () => Promise<AirflowConnectionJson>;
  /**
   * The version before the current one, if any; single user only, called when neither the pending
   * nor the current credential logs in (e.g. a value stored by hand that the database never got).
   * Only its password is used, and only when its login is the current one.
   */
  loadPrevious?: () => Promise<AirflowConnectionJson | undefined>;
  /**
   * Takes over the session that proved the pending credential after the change, still open (the
   * caller closes it): a test step right after can run its check on it instead of logging in again.
   */
  keepVerifiedSession?: (session: DatabaseSession) => void;
}

/**
 * Single user: works as the current credential or, if the database refuses it, the previous one.
 * Returns false without working when the refusal is because `alreadyDone` (a pending password an
 * earlier attempt set): the normal path spends no login on checking that first.
 */
async function asOwner(
  current: DatabaseConnection,
  loadPrevious: ApplyPendingOptions["loadPrevious"],
  work: (session: DatabaseSession) => Promise<void>,
  alreadyDone: () => Promise<boolean>,
): Promise<boolean> {
  try {
    await withSession(current, "current secret", work);
    return true;
  } catch (error) {
    if (!(error instanceof RotationError && error.code === "AUTH_FAILED")) throw error;
    if (await alreadyDone()) return false;
    if (!loadPrevious) throw error;
    const previousJson = await loadPrevious();
    const previous = previousJson && readDatabaseConnection(previousJson, "previous secret");
    if (!previous || previous.login !== current.login || previous.password === current.password) throw error;
    try {
      // The current secret's server, database and TLS settings; only the password comes from the previous.
      await withSession({ ...current, password: previous.password }, "previous secret", work);
      return true;
    } catch (previousError) {
      if (!(previousError instanceof RotationError && previousError.code === "AUTH_FAILED"))
        throw previousError;
      throw new RotationError("AUTH_FAILED", `${error.detail}; previous secret: refused too`, error.dbCode);
    }
  }
}

export type ApplyOutcome = "already-active" | "applied";

/**
 * Makes the pending credential work on the database, then proves it by logging in with it.
 * Returns early when it already logs in, so a retry after a crash changes nothing.
 * Single user: logs in with the current credential and changes its own password.
 * Alternating users: the master creates the other login when absent (with the grants of the
 * original) and sets its password; the current login is untouched and keeps working.
 */
export async function applyPendingCredential(options: ApplyPendingOptions): Promise<ApplyOutcome> {
  const current = readDatabaseConnection(options.current, "current secret");
  const pending = readDatabaseConnection(options.pending, "pending secret");
  checkPendingMatches(current, pending, options.strategy);
  checkLoginLength(pending.driver, pending.login);

  if (options.strategy === "single-user") {
    // The current credential first: on a first attempt it logs in, and only a refusal (an earlier
    // attempt changed the password already, or the database never got the current one) costs a
    // login with the pending credential.
    const changed = await asOwner(
      current,
      options.loadPrevious,
      (session) => session.setPassword(pending.login, pending.password),
      () => logsIn(pending, "pending secret"),
    );
    if (!changed) return "already-active";
  } else {
    // The current login keeps working while the other one changes: only the pending one tells.
    if (await logsIn(pending, "pending secret")) return "already-active";
    if (!options.loadMaster) {
      throw new RotationError(
        "INVALID_CONFIG",
        "alternating users need a master credential to create and change logins",
      );
    }
    const master = readDatabaseConnection(await options.loadMaster(), "master secret");
    await withSession(master, "master secret", async (session) => {
      const original = baseLogin(pending.login);
      if (pending.login !== original) await session.ensureClone(original, pending.login);
      await session.setPassword(pending.login, pending.password);
    });
  }
  await withSession(
    pending,
    "pending secret after the change",
    (session) => session.ping(),
    options.keepVerifiedSession,
  );
  return "applied";
}
