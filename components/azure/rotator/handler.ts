/**
 * Rotates a connection secret when Key Vault announces its expiry. Ordering guarantee: the
 * database password is changed first and the new secret version (with a new expiry) is written
 * only after the new login has been verified, so a failed database change never leaves Airflow
 * with a secret that does not log in.
 *
 * One rotation:
 *  1. Read the current version. Skip when it is not the event's version (a newer version exists:
 *     this event is a redelivery or was overtaken) or when it is not near expiry any more.
 *  2. Journal the pending credential (a blob in the rotator's own storage, `journal.ts`), naming the
 *     current version, unless a journal for this very version exists (an earlier attempt died
 *     mid-way): then resume with it. No journal yet is idle (first use).
 *  3. Change the password on the database and log in with it (rotation core; returns early when
 *     the pending credential already works, which is how a resumed attempt finishes).
 *  4. Only then write the new version of the Airflow secret, expiring `everyDays` + 30 days out.
 *  5. Reset the journal to idle (best effort: a stale journal names an old version and is ignored).
 * A failure in 1-3 throws before anything Airflow reads has changed; Event Grid redelivers.
 */
import { parseConnectionJson, type AirflowConnectionJson } from "../../rotation/connection";
import { RotationError } from "../../rotation/errors";
import { generatePassword } from "../../rotation/password";
import { applyPendingCredential, pendingConnectionJson } from "../../rotation/rotate";
import { ROTATION_EVENT_TYPES, RotatedSecretConfig, RotationConfig } from "./config";
import { JournalStore } from "./journal";
import { KeyVaultSecretsClient } from "./keyVaultClient";
import { isDue, rotatedExpiry } from "./schedule";

export interface RotatorDependencies {
  client: KeyVaultSecretsClient;
  config: RotationConfig;
  /** Where journals live: the function passes the blob container of `config.journals`. */
  journals: JournalStore;
  now?: () => Date;
  newPassword?: () => string;
  log?: (message: string) => void;
}

export type RotationOutcome =
  | { status: "rotated"; secret: string; version: string; expiresOn: Date; resumed: boolean }
  | { status: "skipped"; secret?: string; reason: string };

/** The fields of a Key Vault event this handler reads (Event Grid schema is PascalCase, SDKs camelCase). */
interface KeyVaultEventData {
  objectType?: string;
  objectName?: string;
  version?: string;
  vaultName?: string;
}

function readEventData(data: unknown): KeyVaultEventData {
  const d = (data ?? {}) as Record<string, unknown>;
  const pick = (pascal: string, camel: string) => {
    const value = d[pascal] ?? d[camel];
    return typeof value === "string" ? value : undefined;
  };
  return {
    objectType: pick("ObjectType", "objectType"),
    objectName: pick("ObjectName", "objectName"),
    version: pick("Version", "version"),
    vaultName: pick("VaultName", "vaultName"),
  };
}

/** Rotations of one secret run one at a time within an instance (the app runs a single instance). */
const inFlight = new Map<string, Promise<unknown>>();

function serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = inFlight.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  const settled = next.catch(() => undefined);
  inFlight.set(key, settled);
  void settled.then(() => {
    if (inFlight.get(key) === settled) inFlight.delete(key);
  });
  return next;
}

function vaultNameOf(vaultUrl: string): string {
  return new URL(vaultUrl).hostname.split(".")[0].toLowerCase();
}

export async function handleKeyVaultEvent(
  event: unknown,
  deps: RotatorDependencies,
): Promise<RotationOutcome> {
  const e = (event ?? {}) as { eventType?: string; data?: unknown };
  const log = deps.log ?? (() => undefined);
  if (!(ROTATION_EVENT_TYPES as readonly string[]).includes(String(e.eventType))) {
    return { status: "skipped", reason: `event type ${e.eventType} is not a rotation trigger` };
  }
  const data = readEventData(e.data);
  if (data.objectType !== undefined && data.objectType !== "Secret") {
    return { status: "skipped", reason: `object type ${data.objectType} is not a secret` };
  }
  if (!data.objectName)
    throw new RotationError("INVALID_EVENT", "the event names no secret (data.ObjectName)");
  if (data.vaultName && data.vaultName.toLowerCase() !== vaultNameOf(deps.config.vaultUrl)) {
    return {
      status: "skipped",
      secret: data.objectName,
      reason: `the event is from vault ${data.vaultName}, not this rotator's`,
    };
  }
  const settings = deps.config.secrets[data.objectName.toLowerCase()];
  if (!settings)
    return {
      status: "skipped",
      secret: data.objectName,
      reason: "the secret is not configured for rotation",
    };

  return serialised(data.objectName.toLowerCase(), async () => {
    const outcome = await rotate(data.objectName!, data.version, settings, deps);
    log(
      outcome.status === "rotated"
        ? `rotated ${outcome.secret} to version ${outcome.version}${outcome.resumed ? " (resumed)" : ""}`
        : `skipped ${data.objectName}: ${outcome.reason}`,
    );
    return outcome;
  });
}

async function rotate(
  name: string,
  eventVersion: string | undefined,
  settings: RotatedSecretConfig,
  deps: RotatorDependencies,
): Promise<RotationOutcome> {
  const now = (deps.now ?? (() => new Date()))();
  const { client } = deps;

  const current = await client.getSecret(name);
  if (!current)
    throw new RotationError("INVALID_EVENT", `the event names secret ${name}, which does not exist`);
  if (eventVersion && current.version !== eventVersion) {
    return {
      status: "skipped",
      secret: name,
      reason: `version ${eventVersion} was superseded by ${current.version}`,
    };
  }
  if (!isDue(current.expiresOn, now)) {
    return {
      status: "skipped",
      secret: name,
      reason: `version ${current.version} is not near expiry (expires ${current.expiresOn?.toISOString() ?? "never"})`,
    };
  }
  const currentJson = parseConnectionJson(current.value, `secret ${name}`);

  const journals = deps.journals;
  const journal = await journals.read(settings.journalName);
  let pending: AirflowConnectionJson;
  const resumed = journal?.state === "pending" && journal.rotationOf === current.version;
  if (journal?.state === "pending" && resumed) {
    pending = journal.pending;
  } else {
    pending = pendingConnectionJson(
      currentJson,
      settings.strategy,
      (deps.newPassword ?? (() => generatePassword(deps.config.password)))(),
    );
    await journals.write(
      settings.journalName,
      { state: "pending", secret: name, rotationOf: current.version, pending },
      { expiresOn: rotatedExpiry(now, settings.everyDays), secret: name },
    );
  }

  const masterName = settings.master;
  const loadMaster = masterName
    ? async () => {
        const master = await client.getSecret(masterName);
        if (!master) throw new RotationError("INVALID_CONFIG", `master secret ${masterName} does not exist`);
        return parseConnectionJson(master.value, `master secret ${masterName}`);
      }
    : undefined;
  // Throws unless the pending credential logs in afterwards: nothing Airflow reads has changed yet.
  await applyPendingCredential({ current: currentJson, pending, strategy: settings.strategy, loadMaster });

  const expiresOn = rotatedExpiry(now, settings.everyDays);
  const written = await client.setSecret(name, JSON.stringify(pending), {
    contentType: current.contentType ?? "application/json",
    expiresOn,
    tags: current.tags,
  });

  try {
    await journals.write(settings.journalName, { state: "idle" }, { expiresOn, secret: name });
  } catch (error) {
    (deps.log ?? (() => undefined))(
      `rotated ${name} but could not reset journal ${settings.journalName}: ${(error as Error).message}`,
    );
  }
  return { status: "rotated", secret: name, version: written.version, expiresOn, resumed };
}
