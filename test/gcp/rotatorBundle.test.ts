/**
 * The deployed artefact: the esbuild bundle run in a separate Node process with nothing installed
 * next to it, speaking Secret Manager's REST API (CRC32C included) to a local server backed by the
 * in-memory fake, and rotating a real PostgreSQL password.
 */
import { rotatorPasswordPolicy } from "../../components/rotation/config";
import { spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { bundleRotator } from "../../components/gcp/rotator/bundle";
import { ROTATOR_CONFIG_ENV, RotatorConfig } from "../../components/gcp/rotator/config";
import { crc32c, restSecretManagerClient } from "../../components/gcp/rotator/restClient";
import { SecretManagerError } from "../../components/gcp/rotator/secretManagerClient";
import {
  acceptsLogin,
  connectionJson,
  createRandomLogin,
  startPostgres,
  TestPostgres,
} from "../support/postgres";
import { FakeSecretManager } from "./fakeSecretManager";

const PROJECT = "acme-data-test";
const NUMBER = "24682468";
const TOKEN = "metadata-token-" + randomBytes(6).toString("hex");
const HTTP_STATUS: Record<string, number> = {
  NOT_FOUND: 404,
  FAILED_PRECONDITION: 400,
  INVALID_ARGUMENT: 400,
  PERMISSION_DENIED: 403,
  UNAVAILABLE: 503,
};

let pg: TestPostgres;
let server: http.Server;
let endpoint: string;
let fake: FakeSecretManager;
/** Makes the next access answer carry a wrong checksum. */
let corruptNextAccess = false;
let bundleDir: string;

/** Secret Manager's REST surface the rotator uses, plus the metadata server's token endpoint. */
function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> | void {
  const reply = (status: number, payload: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(payload));
  };
  const url = req.url ?? "";
  if (url === "/computeMetadata/v1/instance/service-accounts/default/token") {
    if (req.headers["metadata-flavor"] !== "Google") return reply(403, {});
    return reply(200, { access_token: TOKEN, expires_in: 3599, token_type: "Bearer" });
  }
  if (req.headers.authorization !== `Bearer ${TOKEN}`)
    return reply(401, { error: { code: 401, status: "UNAUTHENTICATED", message: "no token" } });
  const name = decodeURIComponent(url.replace(/^\/v1\//, ""));
  const fail = (error: unknown) => {
    if (!(error instanceof SecretManagerError)) throw error;
    reply(HTTP_STATUS[error.code] ?? 500, {
      error: { code: HTTP_STATUS[error.code] ?? 500, status: error.code, message: error.message },
    });
  };
  if (req.method === "GET" && name.endsWith(":access")) {
    return fake.accessSecretVersion(name.slice(0, -":access".length)).then(({ name: resolved, data }) => {
      const checksum = crc32c(data) + (corruptNextAccess ? 1 : 0);
      corruptNextAccess = false;
      reply(200, {
        name: resolved,
        payload: { data: data.toString("base64"), dataCrc32c: String(checksum) },
      });
    }, fail);
  }
  if (req.method === "GET") return fake.getSecretVersion(name).then((v) => reply(200, v), fail);
  if (req.method === "POST" && name.endsWith(":addVersion")) {
    const payload = (JSON.parse(body) as { payload: { data: string; dataCrc32c: string } }).payload;
    const data = Buffer.from(payload.data, "base64");
    if (String(crc32c(data)) !== payload.dataCrc32c)
      return reply(400, { error: { code: 400, status: "INVALID_ARGUMENT", message: "checksum mismatch" } });
    return fake.addSecretVersion(name.slice(0, -":addVersion".length), data).then((v) => reply(200, v), fail);
  }
  reply(404, { error: { code: 404, status: "NOT_FOUND", message: `no route ${req.method} ${url}` } });
}

beforeAll(async () => {
  pg = await startPostgres();
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => void handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Like the function's source directory: index.js and package.json, no node_modules.
  bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), "gcp-rotator-"));
  const bundle = bundleRotator();
  fs.writeFileSync(path.join(bundleDir, "index.js"), bundle.code);
  fs.writeFileSync(path.join(bundleDir, "package.json"), bundle.packageJson);
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await pg?.destroy();
  if (bundleDir) fs.rmSync(bundleDir, { recursive: true, force: true });
});

beforeEach(() => {
  fake = new FakeSecretManager(PROJECT, NUMBER);
});

/** Runs `rotateSecret(event)` from the bundle in a fresh Node process (asynchronously: the server must keep serving). */
function runBundle(
  event: unknown,
  config: RotatorConfig | string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `require(${JSON.stringify(path.join(bundleDir, "index.js"))}).rotateSecret(${JSON.stringify(event)}).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });`;
  const child = spawn(process.execPath, ["-e", script], {
    cwd: bundleDir,
    env: {
      PATH: process.env.PATH,
      [ROTATOR_CONFIG_ENV]: typeof config === "string" ? config : JSON.stringify(config),
      SECRET_MANAGER_ENDPOINT: `http://${endpoint}`,
      GCE_METADATA_HOST: endpoint,
    },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

function cloudEvent(secretId: string, eventType: string, publishTime: string) {
  // Eventarc's Pub/Sub CloudEvent, with the snake_case duplicates it carries.
  return {
    id: "evt-1",
    type: "google.cloud.pubsub.topic.v1.messagePublished",
    data: {
      subscription: "projects/p/subscriptions/eventarc-sub",
      message: {
        attributes: {
          eventType,
          secretId: `projects/${NUMBER}/secrets/${secretId}`,
          dataFormat: "JSON_API_V1",
        },
        data: Buffer.from("{}").toString("base64"),
        messageId: "1234567890",
        message_id: "1234567890",
        publishTime: publishTime,
        publish_time: publishTime,
      },
    },
  };
}

async function seededRole(): Promise<{
  secretId: string;
  login: string;
  password: string;
  config: RotatorConfig;
}> {
  const { login, password } = await createRandomLogin(pg, "gcp_bundle");
  const secretId = `airflow-test-connections-${login}`;
  fake.createSecret(secretId);
  fake.seed(secretId, JSON.stringify(connectionJson(pg, login, password)));
  return {
    secretId,
    login,
    password,
    config: {
      projectId: PROJECT,
      projectNumber: NUMBER,
      secrets: { [secretId]: { connId: login, strategy: "single-user" } },
      password: rotatorPasswordPolicy({ length: 40 }),
    },
  };
}

const canLogIn = (login: string, password: string) => acceptsLogin(pg, login, password);

describe("the bundle", () => {
  it("is self-contained and content-addressed", () => {
    const bundle = bundleRotator();
    expect(bundle.code).not.toMatch(/require\("pg"\)/);
    expect(JSON.parse(bundle.packageJson)).toMatchObject({ main: "index.js", engines: { node: "22" } });
    expect(bundle.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Built again in a fresh module registry: the same bytes, so an unchanged handler never redeploys.
    jest.isolateModules(() => {
      type BundleModule = typeof import("../../components/gcp/rotator/bundle");
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require("../../components/gcp/rotator/bundle") as BundleModule;
      const again = fresh.bundleRotator();
      expect(again.sha256).toBe(bundle.sha256);
    });
  });

  it("rotates through the REST API, then acknowledges the redelivery without rotating again", async () => {
    const { secretId, login, password, config } = await seededRole();
    const event = cloudEvent(secretId, "SECRET_ROTATE", fake.timestamp());
    const first = await runBundle(event, config);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout.trim())).toMatchObject({
      severity: "INFO",
      result: "rotated",
      messageId: "1234567890",
      login,
    });
    expect(first.stdout).not.toContain(password);
    const stored = JSON.parse(fake.payloads(secretId).at(-1)!) as { password: string };
    expect(stored.password).toHaveLength(40);
    expect(first.stdout).not.toContain(stored.password);
    expect(await canLogIn(login, stored.password)).toBe(true);

    const again = await runBundle(event, config);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout.trim())).toMatchObject({ result: "already-rotated" });
    expect(fake.payloads(secretId)).toHaveLength(2);
  });

  it("acknowledges events it ignores, and fails (for redelivery) when the database is down", async () => {
    const { secretId, login, password, config } = await seededRole();
    const ignored = await runBundle(cloudEvent(secretId, "SECRET_VERSION_ADD", fake.timestamp()), config);
    expect(ignored.code).toBe(0);
    expect(JSON.parse(ignored.stdout.trim())).toMatchObject({ severity: "DEBUG", result: "ignored" });

    await pg.stop();
    let down;
    try {
      down = await runBundle(cloudEvent(secretId, "SECRET_ROTATE", fake.timestamp()), config);
    } finally {
      await pg.start();
    }
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/DB_UNREACHABLE.*Pub\/Sub will redeliver/);
    expect(JSON.parse(down.stdout.trim())).toMatchObject({
      severity: "WARNING",
      result: "failed",
      retryable: true,
    });
    expect(fake.payloads(secretId)).toHaveLength(1);
    expect(await canLogIn(login, password)).toBe(true);
  });

  it("fails loudly on a broken deployment configuration", async () => {
    const run = await runBundle(cloudEvent("x", "SECRET_ROTATE", fake.timestamp()), '{"projectId":"p"}');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/AIRFLOW_SECRETS_ROTATOR_CONFIG is invalid: projectNumber must be digits/);
  });
});

describe("the REST client", () => {
  it("computes CRC32C as Secret Manager does", () => {
    // The standard CRC-32C check value.
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it("refuses a payload whose checksum does not match, and maps API errors to codes", async () => {
    fake.createSecret("s");
    fake.seed("s", "value");
    const client = restSecretManagerClient({ getToken: async () => TOKEN, endpoint: `http://${endpoint}` });
    expect(
      (await client.accessSecretVersion(`projects/${PROJECT}/secrets/s/versions/latest`)).data.toString(),
    ).toBe("value");
    corruptNextAccess = true;
    await expect(
      client.accessSecretVersion(`projects/${PROJECT}/secrets/s/versions/1`),
    ).rejects.toMatchObject({ code: "INTERNAL", message: expect.stringMatching(/checksum/) });
    await expect(
      client.getSecretVersion(`projects/${PROJECT}/secrets/none/versions/latest`),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    fake.disable("s", 1);
    await expect(
      client.accessSecretVersion(`projects/${PROJECT}/secrets/s/versions/1`),
    ).rejects.toMatchObject({ code: "FAILED_PRECONDITION" });
    const unauthorised = restSecretManagerClient({
      getToken: async () => "wrong",
      endpoint: `http://${endpoint}`,
    });
    await expect(
      unauthorised.getSecretVersion(`projects/${PROJECT}/secrets/s/versions/1`),
    ).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });
});
