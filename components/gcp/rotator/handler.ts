/**
 * The GCP rotation handler, a pure function of (Pub/Sub message, Secret Manager client, config): the
 * Cloud Function entry (`entry.ts`) only unwraps the CloudEvent and logs the outcome.
 *
 * Secret Manager publishes SECRET_ROTATE when a secret's rotation is due, and every other event of the
 * secret (our own SECRET_VERSION_ADD included) to the same topic; Pub/Sub delivers each message at least
 * once. The handler therefore:
 *   1. ignores anything but SECRET_ROTATE, and secrets it does not manage;
 *   2. skips a message whose rotation already happened: if the latest version was created at or after
 *      the message's publish time, a version was written after the rotation was requested, so a
 *      redelivery (same publish time) never rotates twice. The check needs no marker of its own: the
 *      version's create time is set by Secret Manager and cannot be forged by a payload, and the
 *      function runs one event at a time, so a duplicate is only handled after the first attempt ends;
 *   3. changes the password on the database and proves the new login works (the shared rotation core),
 *      and only then adds the new version. If the database change fails, nothing is written and the
 *      current version keeps working. If adding the version fails after a single-user change, the old
 *      password is put back, so the current version works again (alternating users never touch the
 *      login the current version uses).
 */
import { parseConnectionJson, type AirflowConnectionJson } from "../../rotation/connection";
import { RotationError } from "../../rotation/errors";
import { generatePassword, type PasswordOptions } from "../../rotation/password";
import { applyPendingCredential, pendingConnectionJson } from "../../rotation/rotate";
import { RotatorConfig, ManagedSecret } from "./config";
import {
  SecretManagerClient,
  SecretManagerError,
  TRANSIENT_SECRET_MANAGER_CODES,
  rfc3339Nanos,
} from "./secretManagerClient";

export const SECRET_ROTATE = "SECRET_ROTATE";

/** The parts of a Pub/Sub message the handler reads. */
export interface RotationMessage {
  messageId: string;
  /** RFC 3339, set by Pub/Sub when Secret Manager published; identical on every redelivery. */
  publishTime: string;
  /** Secret Manager's attributes: `eventType`, `secretId` (`projects/P/secrets/S`), `dataFormat`. */
  attributes: Record<string, string>;
}

export type RotationOutcome =
  | { result: "ignored"; reason: string }
  | { result: "already-rotated"; secret: string; latestVersion: string }
  | { result: "rotated"; secret: string; version: string; previousVersion: string; login: string }
  | {
      result: "failed";
      secret: string;
      code: string;
      message: string;
      /** Retrying may succeed (the function throws so Pub/Sub redelivers); otherwise a person must act. */
      retryable: boolean;
    };

export interface RotationDependencies {
  client: SecretManagerClient;
  config: RotatorConfig;
  /** Password source; defaults to the rotation core's generator with the configured options. */
  newPassword?: (options: PasswordOptions) => string;
}

/** Core error codes a later attempt may get past without anyone changing anything. */
const TRANSIENT_ROTATION_CODES: ReadonlySet<string> = new Set(["DB_UNREACHABLE", "DB_ERROR"]);

/** The managed secret a `projects/{id or number}/secrets/{id}` name refers to, if any. */
function managedSecret(
  secretName: string | undefined,
  config: RotatorConfig,
): { id: string; managed: ManagedSecret } | undefined {
  const match = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(secretName ?? "");
  if (!match || (match[1] !== config.projectId && match[1] !== config.projectNumber)) return undefined;
  const managed = Object.prototype.hasOwnProperty.call(config.secrets, match[2])
    ? config.secrets[match[2]]
    : undefined;
  return managed ? { id: match[2], managed } : undefined;
}

function failure(secret: string, error: unknown): RotationOutcome {
  if (error instanceof RotationError) {
    return {
      result: "failed",
      secret,
      code: error.code,
      message: error.message,
      retryable: TRANSIENT_ROTATION_CODES.has(error.code),
    };
  }
  if (error instanceof SecretManagerError) {
    return {
      result: "failed",
      secret,
      code: `SECRET_MANAGER_${error.code}`,
      message: error.message,
      retryable: TRANSIENT_SECRET_MANAGER_CODES.has(error.code),
    };
  }
  return {
    result: "failed",
    secret,
    code: "UNEXPECTED",
    message: error instanceof Error ? error.message : String(error),
    retryable: true,
  };
}

async function readConnection(
  client: SecretManagerClient,
  version: string,
  label: string,
): Promise<AirflowConnectionJson> {
  const { data } = await client.accessSecretVersion(version);
  return parseConnectionJson(data.toString("utf8"), label);
}

export async function handleRotationMessage(
  message: RotationMessage,
  deps: RotationDependencies,
): Promise<RotationOutcome> {
  const eventType = message.attributes?.eventType;
  if (eventType !== SECRET_ROTATE)
    return { result: "ignored", reason: `event type ${eventType ?? "(none)"} is not ${SECRET_ROTATE}` };
  const target = managedSecret(message.attributes.secretId, deps.config);
  if (!target)
    return {
      result: "ignored",
      reason: `secret ${message.attributes.secretId ?? "(none)"} is not managed by this rotator`,
    };

  const { client, config } = deps;
  const secret = `projects/${config.projectId}/secrets/${target.id}`;
  const { strategy, master } = target.managed;
  try {
    const requestedAt = rfc3339Nanos(message.publishTime);
    const latest = await client.getSecretVersion(`${secret}/versions/latest`);
    if (rfc3339Nanos(latest.createTime) >= requestedAt) {
      return { result: "already-rotated", secret, latestVersion: latest.name };
    }
    if (latest.state !== "ENABLED") {
      return {
        result: "failed",
        secret,
        code: "LATEST_NOT_ENABLED",
        message: `${latest.name} is ${latest.state}: Airflow cannot read it either; enable it or add a working version`,
        retryable: false,
      };
    }
    const current = await readConnection(client, latest.name, latest.name);
    const password = (deps.newPassword ?? generatePassword)(config.password);
    const pending = pendingConnectionJson(current, strategy, password);
    const loadMaster =
      strategy === "alternating-users" && master !== undefined
        ? () =>
            readConnection(
              client,
              `projects/${config.projectId}/secrets/${master}/versions/latest`,
              `master secret ${master}`,
            )
        : undefined;
    // Changes the database and logs in with the new credential; throws (nothing changed) otherwise.
    await applyPendingCredential({ current, pending, strategy, loadMaster });
    let added;
    try {
      added = await client.addSecretVersion(secret, Buffer.from(JSON.stringify(pending), "utf8"));
    } catch (error) {
      if (strategy === "single-user") {
        const lost = await restorePassword(secret, current, pending, error);
        if (lost) return lost;
      }
      throw error;
    }
    return {
      result: "rotated",
      secret,
      version: added.name,
      previousVersion: latest.name,
      login: String(pending.login),
    };
  } catch (error) {
    return failure(secret, error);
  }
}

/**
 * Single user: the database has the new password but Secret Manager does not. Puts the old one back so
 * the current version works again; if that fails too, returns a failure saying the credential is lost.
 */
async function restorePassword(
  secret: string,
  current: AirflowConnectionJson,
  pending: AirflowConnectionJson,
  cause: unknown,
): Promise<RotationOutcome | undefined> {
  try {
    await applyPendingCredential({ current: pending, pending: current, strategy: "single-user" });
    return undefined;
  } catch (restoreError) {
    const why = (e: unknown) => (e instanceof Error ? e.message : String(e));
    return {
      result: "failed",
      secret,
      code: "RESTORE_FAILED",
      message: `the database password was changed but the new version could not be stored (${why(cause)}) and restoring the old password failed (${why(restoreError)}); reset the password by hand and add a version`,
      retryable: false,
    };
  }
}
