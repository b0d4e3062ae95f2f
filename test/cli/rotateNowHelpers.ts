/**
 * What the rotate-now end-to-end tests (AWS, GCP, Azure) share: a real PostgreSQL with an admin and a
 * warehouse login, the login check, running the command with its output captured (and checked for every
 * password the store ever held), the delivery the cloud makes after its trigger call returns, and the
 * database outage fault.
 */
import type { AirflowConnectionJson } from "../../components/rotation/connection";
import { runRotateNow } from "../../cli/incident/rotateNow";
import { acceptsLogin, createRandomLogin, startPostgres, type TestPostgres } from "../support/postgres";

type RotateNowDependencies = Parameters<typeof runRotateNow>[2];
type Login = Awaited<ReturnType<typeof createRandomLogin>>;

/** A started PostgreSQL with two fresh logins named after `prefix` (`${prefix}_admin`, `${prefix}_wh`). */
export async function startRotationDatabase(
  prefix: string,
): Promise<{ pg: TestPostgres; admin: Login; warehouse: Login }> {
  const pg = await startPostgres();
  const admin = await createRandomLogin(pg, `${prefix}_admin`);
  const warehouse = await createRandomLogin(pg, `${prefix}_wh`);
  return { pg, admin, warehouse };
}

/** Whether the connection's login and password open its database. */
export function logsIn(pg: TestPostgres, json: AirflowConnectionJson): Promise<boolean> {
  return acceptsLogin(pg, String(json.login), String(json.password), String(json.schema));
}

/**
 * Runs `rotate-now` with `argv`, captures its output, and asserts that none of the passwords the store
 * holds afterwards (`passwordsSeen`, never empty; it may first wait for the cloud's pending deliveries)
 * appears in it.
 */
export async function runRotateNowCapturing(
  argv: string[],
  dependencies: RotateNowDependencies,
  passwordsSeen: () => string[] | Promise<string[]>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runRotateNow(
    argv,
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
    dependencies,
  );
  const seen = await passwordsSeen();
  expect(seen.length).toBeGreaterThan(0);
  for (const password of seen) expect(stdout + stderr).not.toContain(password);
  return { code, stdout, stderr };
}

/** Runs `deliver` after the current call has returned, as an asynchronous trigger (Pub/Sub, a 202) does. */
export function afterTheCallReturns<T>(deliver: () => Promise<T>): Promise<T> {
  return new Promise((resolve) => setImmediate(resolve)).then(deliver);
}

/** A delivery wrapper that stops the database for the rotator's run and starts it again afterwards. */
export function withDatabaseDown(pg: () => TestPostgres) {
  return async <T>(deliver: () => Promise<T>): Promise<T> => {
    await pg().stop();
    try {
      return await deliver();
    } finally {
      await pg().start();
    }
  };
}

/** Runs `run` with a fault set by `set`, and always clears it with `clear`. */
export async function withFault<T>(set: () => void, clear: () => void, run: () => Promise<T>): Promise<T> {
  set();
  try {
    return await run();
  } finally {
    clear();
  }
}
