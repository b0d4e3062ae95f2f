/**
 * AWS Secrets Manager rotation Lambda for Airflow connection secrets (Airflow's JSON connection
 * shape, read natively: Airflow keeps reading AWSCURRENT of the same secret). Implements the four
 * steps of AWS's protocol, each idempotent on ClientRequestToken so the service's retries are safe.
 * Logs one JSON line per invocation: step, secret, token, outcome — never a secret value.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  type GetSecretValueCommandInput,
} from "@aws-sdk/client-secrets-manager";
import { parseConnectionJson, type AirflowConnectionJson } from "../../rotation/connection";
import type { DatabaseSession } from "../../rotation/driver";
import { RotationError } from "../../rotation/errors";
import { generatePassword } from "../../rotation/password";
import { applyPendingCredential, pendingConnectionJson, verifyLogin } from "../../rotation/rotate";
import { isRotationStrategy, type RotationStrategy } from "../../rotation/strategy";
import {
  readRotationHandlerConfig,
  ROTATION_HANDLER_ENV,
  ROTATION_SECRET_KEYS,
  type RotationHandlerConfig,
} from "./config";

export const ROTATION_STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What Secrets Manager sends the rotation function. */
export interface RotationEvent {
  SecretId: string;
  ClientRequestToken: string;
  Step: RotationStep;
}

export type StepOutcome =
  "already-current" | "pending-exists" | "created" | "already-set" | "set" | "tested" | "finished";

const CURRENT = "AWSCURRENT";
const PENDING = "AWSPENDING";
const PREVIOUS = "AWSPREVIOUS";

// One client per endpoint, reused across warm invocations (keep-alive connections).
const clients = new Map<string, SecretsManagerClient>();
function clientFor(endpoint: string | undefined): SecretsManagerClient {
  const key = endpoint ?? "";
  let client = clients.get(key);
  if (!client) {
    client = new SecretsManagerClient(endpoint ? { endpoint } : {});
    clients.set(key, client);
  }
  return client;
}

/*
 * What one warm container learned in earlier steps of a rotation, so the next step need not ask
 * again. Secrets Manager versions are immutable, so a value cached by version id never goes stale;
 * every step still starts with DescribeSecret, which decides whether the token is (still) pending.
 */
const MAX_CACHED = 64;
const values = new Map<string, AirflowConnectionJson>();
/** Sessions that proved a pending credential in setSecret, for testSecret: `${secretId}\n${token}`. */
const verifiedSessions = new Map<string, DatabaseSession>();

function remember<V>(cache: Map<string, V>, key: string, value: V, evict?: (value: V) => void): void {
  cache.delete(key);
  cache.set(key, value);
  for (const [oldest, old] of cache) {
    if (cache.size <= MAX_CACHED) break;
    cache.delete(oldest);
    evict?.(old);
  }
}

const versionKey = (secretId: string, versionId: string) => `${secretId}\n${versionId}`;

function errorCode(error: unknown): string {
  if (error instanceof RotationError) return error.code;
  return error instanceof Error ? error.name : "UnknownError";
}

export async function handler(event: RotationEvent): Promise<StepOutcome> {
  const record = { step: event?.Step, secretId: event?.SecretId, token: event?.ClientRequestToken };
  const started = Date.now();
  try {
    checkEvent(event);
    const config = readRotationHandlerConfig(process.env);
    const outcome = await runStep(event, clientFor(config.endpoint), config);
    console.log(JSON.stringify({ ...record, outcome, ms: Date.now() - started }));
    return outcome;
  } catch (error) {
    console.error(
      JSON.stringify({ ...record, outcome: "failed", code: errorCode(error), ms: Date.now() - started }),
    );
    throw error;
  }
}

function checkEvent(event: RotationEvent): void {
  const ok =
    typeof event?.SecretId === "string" &&
    event.SecretId !== "" &&
    typeof event.ClientRequestToken === "string" &&
    event.ClientRequestToken !== "" &&
    (ROTATION_STEPS as readonly string[]).includes(event.Step);
  if (!ok) {
    throw new RotationError(
      "INVALID_EVENT",
      `expected SecretId, ClientRequestToken and Step (one of ${ROTATION_STEPS.join(", ")})`,
    );
  }
}

async function runStep(
  event: RotationEvent,
  sm: SecretsManagerClient,
  config: RotationHandlerConfig,
): Promise<StepOutcome> {
  const { SecretId: secretId, ClientRequestToken: token } = event;
  const metadata = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  if (!metadata.RotationEnabled) {
    throw new RotationError("ROTATION_NOT_ENABLED", `rotation is not enabled for ${secretId}`);
  }
  const versions = metadata.VersionIdsToStages ?? {};
  const stages = versions[token];
  if (!stages) {
    throw new RotationError(
      "TOKEN_NOT_FOUND",
      `version ${token} is not a version of ${secretId} with a stage`,
    );
  }
  if (stages.includes(CURRENT)) return "already-current";
  if (!stages.includes(PENDING)) {
    throw new RotationError(
      "VERSION_NOT_PENDING",
      `version ${token} of ${secretId} is not staged ${PENDING}`,
    );
  }

  const currentVersion = Object.keys(versions).find((id) => versions[id].includes(CURRENT));
  const previousVersion = Object.keys(versions).find((id) => versions[id].includes(PREVIOUS));
  const readVersion = (versionId: string | undefined, label: string) =>
    readCachedVersion(sm, secretId, versionId, label);
  switch (event.Step) {
    case "createSecret":
      return createSecret(sm, secretId, token, await readVersion(currentVersion, "current secret"), config);
    case "setSecret": {
      const current = await readVersion(currentVersion, "current secret");
      const pending = await readVersion(token, "pending secret");
      const outcome = await applyPendingCredential({
        current,
        pending,
        strategy: strategyOf(current, config),
        loadMaster: () =>
          readSecret(sm, { SecretId: masterArnOf(current, config), VersionStage: CURRENT }, "master secret"),
        // DescribeSecret already said whether AWSPREVIOUS is on a version.
        loadPrevious: async () =>
          previousVersion === undefined ? undefined : readVersion(previousVersion, "previous secret"),
        keepVerifiedSession: (session) =>
          remember(verifiedSessions, versionKey(secretId, token), session, (old) => void old.close()),
      });
      return outcome === "already-active" ? "already-set" : "set";
    }
    case "testSecret": {
      const key = versionKey(secretId, token);
      const held = verifiedSessions.get(key);
      verifiedSessions.delete(key);
      if (held !== undefined) {
        // setSecret of this very token logged in with the pending credential on this session;
        // a statement on it proves the login still works. A dropped session logs in afresh.
        const alive = await held.ping().then(
          () => true,
          () => false,
        );
        await held.close().catch(() => undefined);
        if (alive) return "tested";
      }
      await verifyLogin(await readVersion(token, "pending secret"), "pending secret");
      return "tested";
    }
    case "finishSecret": {
      await sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: CURRENT,
          MoveToVersionId: token,
          RemoveFromVersionId: currentVersion,
        }),
      );
      return "finished";
    }
  }
}

/**
 * Generates and stores a password only when the token has no value yet, so a retry never makes a
 * second one. Without a cached value it just tries: PutSecretValue refuses a token that already
 * holds a different value (ResourceExistsException), and that stored value wins.
 */
async function createSecret(
  sm: SecretsManagerClient,
  secretId: string,
  token: string,
  current: AirflowConnectionJson,
  config: RotationHandlerConfig,
): Promise<StepOutcome> {
  if (values.has(versionKey(secretId, token))) return "pending-exists";
  const pending = pendingConnectionJson(
    current,
    strategyOf(current, config),
    generatePassword(config.password),
  );
  try {
    await sm.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: token,
        SecretString: JSON.stringify(pending),
        VersionStages: [PENDING],
      }),
    );
  } catch (error) {
    // An earlier or concurrent invocation stored its value for this token first; that value wins.
    if (errorCode(error) === "ResourceExistsException") return "pending-exists";
    throw error;
  }
  remember(values, versionKey(secretId, token), pending);
  return "created";
}

/** A version's value by id, from this container's cache or Secrets Manager (versions never change). */
async function readCachedVersion(
  sm: SecretsManagerClient,
  secretId: string,
  versionId: string | undefined,
  label: string,
): Promise<AirflowConnectionJson> {
  if (versionId === undefined) throw new RotationError("INVALID_FIELD", `${label} has no version`);
  const key = versionKey(secretId, versionId);
  let value = values.get(key);
  if (value === undefined) {
    value = await readSecret(sm, { SecretId: secretId, VersionId: versionId }, label);
    remember(values, key, value);
  }
  return value;
}

async function readSecret(
  sm: SecretsManagerClient,
  input: GetSecretValueCommandInput,
  label: string,
): Promise<AirflowConnectionJson> {
  const { SecretString } = await sm.send(new GetSecretValueCommand(input));
  if (SecretString === undefined) throw new RotationError("INVALID_FIELD", `${label} has no SecretString`);
  return parseConnectionJson(SecretString, label);
}

function strategyOf(current: AirflowConnectionJson, config: RotationHandlerConfig): RotationStrategy {
  const value = current[ROTATION_SECRET_KEYS.strategy] ?? config.defaults.strategy;
  if (!isRotationStrategy(value)) {
    throw new RotationError(
      "INVALID_CONFIG",
      `current secret key "${ROTATION_SECRET_KEYS.strategy}" is not a rotation strategy`,
    );
  }
  return value;
}

function masterArnOf(current: AirflowConnectionJson, config: RotationHandlerConfig): string {
  const value = current[ROTATION_SECRET_KEYS.masterSecretArn] ?? config.defaults.master;
  if (typeof value !== "string" || value === "") {
    throw new RotationError(
      "INVALID_CONFIG",
      `alternating users need the master secret's ARN in the secret's "${ROTATION_SECRET_KEYS.masterSecretArn}" key or ${ROTATION_HANDLER_ENV.masterSecretArn}`,
    );
  }
  return value;
}
