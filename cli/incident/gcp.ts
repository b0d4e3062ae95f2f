/**
 * GCP for rotate-now: publishes a message shaped like Secret Manager's own `SECRET_ROTATE` notification
 * (attributes `eventType`, `secretId`, `dataFormat`) on the stack's rotation topic, which triggers the
 * deployed rotator function (components/gcp/rotator/handler.ts) exactly as a scheduled rotation does;
 * then waits for a version newer than the one read before. The handler only rotates when the latest
 * version is older than the message's publish time, so a second publish never rotates twice.
 * The caller needs pubsub.topics.publish on the topic and secretmanager.versions.access/get on the
 * secret; the token is `GOOGLE_OAUTH_ACCESS_TOKEN` or `gcloud auth print-access-token`.
 */
import { execFileSync } from "child_process";
import { SECRET_ROTATE } from "../../components/gcp/rotator/handler";
import { restSecretManagerClient } from "../../components/gcp/rotator/restClient";
import type { SecretManagerClient } from "../../components/gcp/rotator/secretManagerClient";
import type { RotationDriver } from "./rotateSteps";
import { pollUntil, StepFailed } from "./steps";
import type { IncidentTarget } from "./target";

export interface PubsubMessage {
  attributes: Record<string, string>;
  /** Base64 payload. */
  data: string;
}

export interface GcpRotationClients {
  secretManager: SecretManagerClient;
  /** Publishes on `projects/P/topics/T`; returns the message id. */
  publish(topic: string, message: PubsubMessage): Promise<string>;
}

/** The caller's token: `GOOGLE_OAUTH_ACCESS_TOKEN` (as the Google provider reads it), else gcloud's. */
export function gcloudToken(env: NodeJS.ProcessEnv): () => Promise<string> {
  return async () => {
    if (env.GOOGLE_OAUTH_ACCESS_TOKEN) return env.GOOGLE_OAUTH_ACCESS_TOKEN;
    try {
      return execFileSync("gcloud", ["auth", "print-access-token"], { encoding: "utf8" }).trim();
    } catch {
      throw new Error("no GCP credentials: set GOOGLE_OAUTH_ACCESS_TOKEN or log in with gcloud auth login");
    }
  };
}

export const PUBSUB_ENDPOINT = "https://pubsub.googleapis.com";
/** The rotator's endpoint variable (components/gcp/rotator/entry.ts, not imported: it registers the function on load). */
const SECRET_MANAGER_ENDPOINT_ENV = "SECRET_MANAGER_ENDPOINT";

export function gcpClientsFromEnvironment(
  env: NodeJS.ProcessEnv,
): (target: IncidentTarget) => GcpRotationClients {
  return () => {
    const getToken = gcloudToken(env);
    // The Pub/Sub emulator's variable, as Google's client libraries read it; Secret Manager's endpoint
    // override is the rotator's own (a regional or Private Service Connect endpoint).
    const pubsub = env.PUBSUB_EMULATOR_HOST ? `http://${env.PUBSUB_EMULATOR_HOST}` : PUBSUB_ENDPOINT;
    return {
      secretManager: restSecretManagerClient({
        getToken,
        endpoint: env[SECRET_MANAGER_ENDPOINT_ENV] || undefined,
      }),
      async publish(topic, message) {
        const response = await fetch(`${pubsub}/v1/${topic}:publish`, {
          method: "POST",
          headers: { authorization: `Bearer ${await getToken()}`, "content-type": "application/json" },
          body: JSON.stringify({ messages: [message] }),
        });
        const body = (await response.json().catch(() => ({}))) as {
          messageIds?: string[];
          error?: { status?: string };
        };
        if (!response.ok || !body.messageIds?.[0])
          throw new Error(
            `Pub/Sub refused the message (HTTP ${response.status} ${body.error?.status ?? ""})`.trim(),
          );
        return body.messageIds[0];
      },
    };
  };
}

export function gcpRotationDriver(
  target: IncidentTarget,
  clients: GcpRotationClients,
  wait: { timeoutMs: number; intervalMs: number },
): RotationDriver {
  const project = target.outputs.gcpProject;
  const topic = target.outputs.rotationTopic;
  if (typeof project !== "string") throw new Error(`stack ${target.stack}: no GCP project in the synth`);
  if (typeof topic !== "string")
    throw new Error(`stack ${target.stack} has no rotation topic: no connection declares rotation`);
  const secret = (name: string) => `projects/${project}/secrets/${name}`;
  const { secretManager } = clients;
  return {
    describe: (connection) => `Secret Manager ${secret(connection.name)}`,
    async readCurrent(connection) {
      const found = await secretManager.accessSecretVersion(`${secret(connection.name)}/versions/latest`);
      return { version: found.name, text: found.data.toString("utf8") };
    },
    async trigger(connection) {
      const messageId = await clients.publish(topic, {
        attributes: {
          eventType: SECRET_ROTATE,
          secretId: secret(connection.name),
          dataFormat: "JSON_API_V1",
        },
        data: Buffer.from(JSON.stringify({ name: secret(connection.name) }), "utf8").toString("base64"),
      });
      return messageId;
    },
    waitLabel: `wait for a new version (${topic.split("/").pop()} → rotator function)`,
    async waitForNewVersion(connection, current) {
      const latest = await pollUntil(async () => {
        const found = await secretManager.getSecretVersion(`${secret(connection.name)}/versions/latest`);
        return found.name !== current.version ? found.name : undefined;
      }, wait);
      if (latest === undefined)
        throw new StepFailed(
          `no new version within ${Math.round(wait.timeoutMs / 1000)} s (latest is still ${current.version}): ` +
            'the rotator function failed or is still running — read its log (severity WARNING/ERROR, message "rotation failed")',
        );
      return latest;
    },
  };
}
