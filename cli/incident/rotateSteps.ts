/**
 * The part of `rotate-now` every backend shares: read the current credential, trigger the backend's
 * own rotation, wait for it, then prove with the rotation core's login check that the credential
 * Airflow now reads logs in — and say what became of the old one. Each backend supplies the three
 * calls that differ (`RotationDriver`); nothing here knows a cloud.
 */
import { parseConnectionJson, type AirflowConnectionJson } from "../../components/rotation/connection";
import { RotationError } from "../../components/rotation/errors";
import { verifyLogin } from "../../components/rotation/rotate";
import type { RotatedConnection } from "./target";
import { StepFailed, StepLog } from "./steps";

/** The credential Airflow reads now: the store's version id and its text. */
export interface StoredCredential {
  version: string;
  text: string;
}

export interface RotationDriver {
  /** Where the connection lives, for the report (e.g. `Secrets Manager airflow/prod/connections/x`). */
  describe(connection: RotatedConnection): string;
  /** The current version, read as Airflow's reader reads it. */
  readCurrent(connection: RotatedConnection): Promise<StoredCredential>;
  /** Starts the backend's own rotation; returns what it reports (a version id, a message id). */
  trigger(connection: RotatedConnection, current: StoredCredential): Promise<string>;
  /** Label of the wait step. */
  waitLabel: string;
  /** Resolves once the rotation finished (with the new version id), or throws saying what is left. */
  waitForNewVersion(
    connection: RotatedConnection,
    current: StoredCredential,
    triggered: string,
  ): Promise<string>;
}

function parse(text: string, label: string): AirflowConnectionJson {
  return parseConnectionJson(text, label);
}

/** Reads the current credential and conceals its text and password before any step prints them. */
async function readConcealed(
  connection: RotatedConnection,
  driver: RotationDriver,
  log: StepLog,
  label: string,
): Promise<StoredCredential & { json: AirflowConnectionJson }> {
  const current = await driver.readCurrent(connection);
  log.conceal(current.text);
  const json = parse(current.text, label);
  log.conceal(typeof json.password === "string" ? json.password : undefined);
  return { ...current, json };
}

/** Whether a credential logs in; false only when the database refuses the login itself. */
export async function logsIn(json: AirflowConnectionJson, label: string): Promise<boolean> {
  try {
    await verifyLogin(json, label);
    return true;
  } catch (error) {
    if (error instanceof RotationError && error.code === "AUTH_FAILED") return false;
    throw error;
  }
}

/**
 * Rotates one connection and proves the result. Throws StepFailed (already reported) unless the new
 * current credential logs in; after a failed rotation it reports whether the current one still does.
 */
export async function rotateConnection(
  connection: RotatedConnection,
  driver: RotationDriver,
  log: StepLog,
): Promise<void> {
  log.heading(`${connection.connId} (${connection.strategy}) in ${driver.describe(connection)}`);
  const before = await log.step(
    "read the current credential",
    () => readConcealed(connection, driver, log, "current secret"),
    (c) => `version ${c.version}, login ${String(c.json.login)}`,
  );
  let newVersion: string;
  try {
    const triggered = await log.step("trigger the backend's rotation", () =>
      driver.trigger(connection, before),
    );
    newVersion = await log.step(driver.waitLabel, () =>
      driver.waitForNewVersion(connection, before, triggered),
    );
  } catch (error) {
    await log
      .step(
        "the current credential still logs in",
        async () => {
          const current = await driver.readCurrent(connection);
          log.conceal(current.text);
          await verifyLogin(parse(current.text, "current secret"), "current secret");
          return current.version;
        },
        (version) => `version ${version}`,
      )
      .catch(() => undefined);
    throw error;
  }
  await log.step(
    "the new credential logs in",
    async () => {
      const { json, ...after } = await readConcealed(connection, driver, log, "new secret");
      if (after.version !== newVersion)
        throw new StepFailed(`the current version is ${after.version}, not the rotated ${newVersion}`);
      await verifyLogin(json, "new secret");
      return json;
    },
    (json) => `version ${newVersion}, login ${String(json.login)}`,
  );
  if (connection.strategy === "single-user") {
    await log.step("the old password no longer logs in", async () => {
      if (await logsIn(before.json, "old secret"))
        throw new StepFailed("the old password still logs in: the database password did not change");
    });
  } else {
    const stillWorks = await log.step(
      "the old login (alternating users)",
      () => logsIn(before.json, "old secret"),
      (works) =>
        works
          ? `${String(before.json.login)} still logs in until the next rotation`
          : `${String(before.json.login)} no longer logs in`,
    );
    if (stillWorks)
      log.note(
        `to retire ${String(before.json.login)}'s compromised password now, rotate again (--retire-previous)`,
      );
  }
}
