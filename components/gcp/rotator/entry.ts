/**
 * Cloud Functions (2nd gen) entry point, `rotateSecret`: unwraps Eventarc's Pub/Sub CloudEvent, runs the
 * pure handler with the REST Secret Manager client, and writes one structured log line (never a secret
 * value). A retryable failure is thrown so Pub/Sub redelivers; anything else is acknowledged and logged
 * at ERROR, because a redelivery would fail the same way until someone fixes the cause.
 */
import { parseRotatorConfig, ROTATOR_CONFIG_ENV, RotatorConfig } from "./config";
import { handleRotationMessage, RotationMessage, RotationOutcome } from "./handler";
import { metadataServerToken, restSecretManagerClient } from "./restClient";
import { SecretManagerClient } from "./secretManagerClient";

/** Eventarc's `google.cloud.pubsub.topic.v1.messagePublished` event (both field spellings occur). */
export interface PubsubCloudEvent {
  id?: string;
  data?: {
    message?: {
      messageId?: string;
      message_id?: string;
      publishTime?: string;
      publish_time?: string;
      attributes?: Record<string, string>;
    };
  };
}

export function messageFromCloudEvent(event: PubsubCloudEvent): RotationMessage {
  const message = event?.data?.message;
  const messageId = message?.messageId ?? message?.message_id ?? event?.id;
  const publishTime = message?.publishTime ?? message?.publish_time;
  if (!messageId || !publishTime)
    throw new Error("the event carries no Pub/Sub message (messageId and publishTime are required)");
  return { messageId, publishTime, attributes: message?.attributes ?? {} };
}

/** One JSON line on stdout: Cloud Logging reads `severity` and `message` from it. */
export function logLine(message: RotationMessage, outcome: RotationOutcome): Record<string, unknown> {
  const severity =
    outcome.result === "failed"
      ? outcome.retryable
        ? "WARNING"
        : "ERROR"
      : outcome.result === "ignored"
        ? "DEBUG"
        : "INFO";
  return {
    severity,
    message: `rotation ${outcome.result}`,
    messageId: message.messageId,
    publishTime: message.publishTime,
    ...outcome,
  };
}

/** A regional or Private Service Connect Secret Manager endpoint, e.g. `https://secretmanager.europe-west1.rep.googleapis.com`. */
export const SECRET_MANAGER_ENDPOINT_ENV = "SECRET_MANAGER_ENDPOINT";

let runtime: { config: RotatorConfig; client: SecretManagerClient } | undefined;

function createRuntime(env: NodeJS.ProcessEnv): { config: RotatorConfig; client: SecretManagerClient } {
  // GCE_METADATA_HOST is the override Google's own client libraries honour.
  const metadataHost = env.GCE_METADATA_HOST;
  const tokenUrl = metadataHost
    ? `http://${metadataHost}/computeMetadata/v1/instance/service-accounts/default/token`
    : undefined;
  return {
    config: parseRotatorConfig(env[ROTATOR_CONFIG_ENV]),
    client: restSecretManagerClient({
      getToken: metadataServerToken(fetch, tokenUrl),
      endpoint: env[SECRET_MANAGER_ENDPOINT_ENV] || undefined,
    }),
  };
}

export async function rotateSecret(event: PubsubCloudEvent): Promise<void> {
  runtime ??= createRuntime(process.env);
  const message = messageFromCloudEvent(event);
  const outcome = await handleRotationMessage(message, runtime);
  console.log(JSON.stringify(logLine(message, outcome)));
  if (outcome.result === "failed" && outcome.retryable) {
    throw new Error(`rotation of ${outcome.secret} failed (${outcome.code}); Pub/Sub will redeliver`);
  }
}

// Registers with the Functions Framework when it is there (the deployed function); plain export otherwise.
try {
  type FunctionsFramework = {
    cloudEvent(name: string, fn: (event: PubsubCloudEvent) => Promise<void>): void;
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const framework = require("@google-cloud/functions-framework") as FunctionsFramework;
  framework.cloudEvent("rotateSecret", rotateSecret);
} catch (error) {
  // Not installed (tests, local runs): `exports.rotateSecret` is the entry point.
  if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
}
