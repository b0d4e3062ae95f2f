/**
 * `rotate-now` on GCP: the example GCP stack gives the names and the topic; the published message is
 * delivered (as Pub/Sub → Eventarc would, after the publish call returns) to the real rotator handler
 * over the in-memory Secret Manager and a real PostgreSQL. Faults: the publish fails, adding the
 * version fails, the database is down.
 */
import * as path from "path";
import { handleRotationMessage, type RotationOutcome } from "../../components/gcp/rotator/handler";
import type { RotatorConfig } from "../../components/gcp/rotator/config";
import { SecretManagerError } from "../../components/gcp/rotator/secretManagerClient";
import { rotatorPasswordPolicy } from "../../components/rotation/config";
import type { AirflowConnectionJson } from "../../components/rotation/connection";
import type { GcpRotationClients, PubsubMessage } from "../../cli/incident/gcp";
import { FakeSecretManager } from "../gcp/fakeSecretManager";
import { connectionJson, type TestPostgres } from "../support/postgres";
import {
  afterTheCallReturns,
  logsIn as loginWorks,
  runRotateNowCapturing,
  startRotationDatabase,
  withDatabaseDown,
  withFault,
} from "./rotateNowHelpers";

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, "../..");
const STACK = "stacks/examples/Pulumi.prod-gcp.yaml";
const PROJECT = "acme-data-prod";
const NUMBER = "123456789";
const WAREHOUSE = "airflow-prod-connections-warehouse";
const ADMIN = "airflow-prod-connections-warehouse_admin";
const MASTER = "test-rotation-master";

let pg: TestPostgres;
let fake: FakeSecretManager;
let config: RotatorConfig;
const published: Array<{ topic: string; message: PubsubMessage }> = [];
const outcomes: RotationOutcome[] = [];
let deliveries: Promise<unknown>[] = [];
/** Set by a test to make the next publish fail, or to wrap the delivery. */
let publishFault: Error | undefined;
let aroundDelivery: (deliver: () => Promise<RotationOutcome>) => Promise<RotationOutcome> = (deliver) =>
  deliver();

beforeAll(async () => {
  const { admin, warehouse, ...db } = await startRotationDatabase("rg");
  pg = db.pg;
  fake = new FakeSecretManager(PROJECT, NUMBER);
  for (const [id, json] of [
    [MASTER, connectionJson(pg, pg.superuser, pg.superPassword)],
    [ADMIN, connectionJson(pg, admin.login, admin.password)],
    [WAREHOUSE, connectionJson(pg, warehouse.login, warehouse.password)],
  ] as const) {
    fake.createSecret(id);
    fake.seed(id, JSON.stringify(json));
  }
  // The deployed function's configuration, as components/gcp/rotation.ts writes it (a superuser master here).
  config = {
    projectId: PROJECT,
    projectNumber: NUMBER,
    password: rotatorPasswordPolicy({}),
    secrets: {
      [ADMIN]: { connId: "warehouse_admin", strategy: "single-user" },
      [WAREHOUSE]: { connId: "warehouse", strategy: "alternating-users", master: MASTER },
    },
  };
});
afterAll(() => pg?.destroy());

const clients: GcpRotationClients = {
  get secretManager() {
    return fake;
  },
  async publish(topic, message) {
    if (publishFault) throw publishFault;
    published.push({ topic, message });
    const messageId = String(published.length);
    // Pub/Sub stamps the publish time; the function runs after the publish call has returned.
    const publishTime = fake.timestamp();
    deliveries.push(
      afterTheCallReturns(() =>
        aroundDelivery(() =>
          handleRotationMessage(
            { messageId, publishTime, attributes: message.attributes },
            { client: fake, config },
          ),
        ).then((outcome) => outcomes.push(outcome)),
      ),
    );
    return messageId;
  },
};

function latest(id: string): AirflowConnectionJson {
  return JSON.parse(fake.payloads(id).at(-1)!) as AirflowConnectionJson;
}
const logsIn = (json: AirflowConnectionJson) => loginWorks(pg, json);

/** Every password any version of the two secrets ever held. */
function passwordsSeen(): string[] {
  return [ADMIN, WAREHOUSE].flatMap((id) =>
    fake
      .payloads(id)
      .filter((p): p is string => p !== undefined)
      .map((p) => String((JSON.parse(p) as AirflowConnectionJson).password)),
  );
}

async function rotateNow(...argv: string[]) {
  deliveries = [];
  return runRotateNowCapturing(
    ["--cwd", ROOT, "--config-file", STACK, ...argv],
    { gcp: () => clients, intervalMs: 25 },
    async () => {
      await Promise.all(deliveries);
      return passwordsSeen();
    },
  );
}

describe("rotate-now on GCP Secret Manager", () => {
  it("single user: a SECRET_ROTATE message on the stack's topic, a new version, the new password logs in, the old no longer", async () => {
    const before = latest(ADMIN);
    const run = await rotateNow("--conn", "warehouse_admin");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(published.at(-1)).toEqual({
      topic: `projects/${PROJECT}/topics/airflow-prod-secret-rotation`,
      message: expect.objectContaining({
        attributes: {
          eventType: "SECRET_ROTATE",
          secretId: `projects/${PROJECT}/secrets/${ADMIN}`,
          dataFormat: "JSON_API_V1",
        },
      }),
    });
    expect(outcomes.at(-1)).toMatchObject({ result: "rotated" });
    const after = latest(ADMIN);
    expect(after.password).not.toBe(before.password);
    expect(await logsIn(after)).toBe(true);
    expect(await logsIn(before)).toBe(false);
    expect(run.stdout).toMatch(/ok {3}wait for a new version .*\(\d/);
    expect(run.stdout).toMatch(/ok {3}the old password no longer logs in/);
  });

  it("alternating users: the new login works and the old one still does until the next rotation", async () => {
    const before = latest(WAREHOUSE);
    const run = await rotateNow("--conn", "warehouse");
    expect(run.code).toBe(0);
    const after = latest(WAREHOUSE);
    expect(after.login).toBe(`${String(before.login)}_clone`);
    expect(await logsIn(after)).toBe(true);
    expect(await logsIn(before)).toBe(true);
    expect(run.stdout).toContain("still logs in until the next rotation");
  });

  it("the topic publish fails: exits 1, no new version, the current one still logs in", async () => {
    const versions = fake.payloads(ADMIN).length;
    const run = await withFault(
      () => (publishFault = new Error("Pub/Sub refused the message (HTTP 403 PERMISSION_DENIED)")),
      () => (publishFault = undefined),
      () => rotateNow("--conn", "warehouse_admin", "--timeout", "1"),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL trigger the backend's rotation: .*PERMISSION_DENIED/);
    expect(run.stdout).toMatch(/ok {3}the current credential still logs in/);
    expect(fake.payloads(ADMIN).length).toBe(versions);
    expect(await logsIn(latest(ADMIN))).toBe(true);
  });

  it.each([
    {
      fault: "adding the version fails (the rotator puts the old password back)",
      around: (deliver: () => Promise<RotationOutcome>) => {
        fake.failNextAdd = new SecretManagerError("UNAVAILABLE", "injected");
        return deliver();
      },
    },
    {
      fault: "the database is down",
      around: withDatabaseDown(() => pg),
    },
  ])(
    "$fault: exits 1 after the timeout, the latest version unchanged and still logging in",
    async ({ around }) => {
      for (const [id, conn] of [
        [ADMIN, "warehouse_admin"],
        [WAREHOUSE, "warehouse"],
      ] as const) {
        const before = latest(id);
        const versions = fake.payloads(id).length;
        const run = await withFault(
          () => (aroundDelivery = around),
          () => (aroundDelivery = (deliver) => deliver()),
          () => rotateNow("--conn", conn, "--timeout", "1"),
        );
        expect(outcomes.at(-1)).toMatchObject({ result: "failed" });
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(/FAIL wait for a new version.*no new version within 1 s/);
        expect(run.stdout).toMatch(/ok {3}the current credential still logs in/);
        expect(fake.payloads(id).length).toBe(versions);
        expect(latest(id)).toEqual(before);
        expect(await logsIn(before)).toBe(true);
      }
    },
  );
});

describe("the command's own GCP clients (as installed, with the caller's token)", () => {
  it("publish goes to {endpoint}/v1/{topic}:publish with the caller's bearer token and Pub/Sub's message shape", async () => {
    const http = await import("http");
    const received: Array<{ url?: string; auth?: string; body: string }> = [];
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        received.push({ url: req.url, auth: req.headers.authorization, body });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ messageIds: ["4242"] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as import("net").AddressInfo;
      const { gcpClientsFromEnvironment } = await import("../../cli/incident/gcp");
      const real = gcpClientsFromEnvironment({
        PUBSUB_EMULATOR_HOST: `127.0.0.1:${port}`,
        GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.test-token",
      })({} as never);
      const message = {
        attributes: { eventType: "SECRET_ROTATE", secretId: "projects/p/secrets/s" },
        data: "e30=",
      };
      expect(await real.publish("projects/p/topics/t", message)).toBe("4242");
      expect(received).toEqual([
        {
          url: "/v1/projects/p/topics/t:publish",
          auth: "Bearer ya29.test-token",
          body: JSON.stringify({ messages: [message] }),
        },
      ]);
    } finally {
      server.close();
    }
  });
});
