/**
 * The rotator as deployed: Key Vault's REST API, the Blob service's (the journal container of the
 * rotator's storage account) and the App Service managed identity endpoint, emulated by a local HTTP
 * server over in-memory stores, first through the clients alone, then through the esbuild bundle
 * that goes into the function package, against a real Postgres.
 */
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { AddressInfo } from "net";
import { Client } from "pg";
import { startPostgres, type TestPostgres } from "../support/postgres";
import {
  KeyVaultRequestError,
  KeyVaultRestClient,
  managedIdentityTokenProvider,
} from "../../components/azure/rotator/keyVaultClient";
import { FUNCTION_JSON, HOST_JSON, rotatorPackage } from "../../components/azure/rotator/bundle";
import {
  BLOB_API_VERSION,
  BlobJournalStore,
  JOURNAL_CONTAINER,
  JournalRequestError,
  STORAGE_RESOURCE,
} from "../../components/azure/rotator/journal";
import { FakeKeyVault } from "./fakeKeyVault";

const CLIENT_ID = "cafe0000-0000-4000-8000-000000000001";
const IDENTITY_HEADER = "identity-header-value";

interface Emulator {
  base: string;
  vault: FakeKeyVault;
  tokenRequests: number;
  /** Secrets answering 403, to check error handling. */
  forbidden: Set<string>;
  /** Journal blobs by name, as the text the function wrote. */
  blobs: Map<string, string>;
  /** Journal blobs answering 403. */
  forbiddenBlobs: Set<string>;
  close(): Promise<void>;
}

/** `resource`: the token audience the identity endpoint accepts (the vault's cloud). */
async function emulator(resource = "https://vault.azure.net"): Promise<Emulator> {
  const vault = new FakeKeyVault();
  const blobs = new Map<string, string>();
  const state = { tokenRequests: 0, forbidden: new Set<string>(), forbiddenBlobs: new Set<string>() };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url!, "http://127.0.0.1");
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/msi/token") {
      const audience = url.searchParams.get("resource");
      const ok =
        req.headers["x-identity-header"] === IDENTITY_HEADER &&
        (audience === resource || audience === STORAGE_RESOURCE) &&
        url.searchParams.get("client_id") === CLIENT_ID &&
        url.searchParams.get("api-version") === "2019-08-01";
      if (!ok) return send(400, { error: "bad token request" });
      state.tokenRequests += 1;
      // A token is good for its audience only: the vault refuses a storage token and vice versa.
      return send(200, {
        access_token: `${audience === STORAGE_RESOURCE ? "storage-token" : "token"}-${state.tokenRequests}`,
        expires_on: String(Math.floor(Date.now() / 1000) + 3600),
      });
    }
    const blob = new RegExp(`^/${JOURNAL_CONTAINER}/([^/]+)$`).exec(url.pathname);
    if (blob) {
      const name = decodeURIComponent(blob[1]);
      const refuse = (status: number, code: string) => {
        res.writeHead(status, { "x-ms-error-code": code });
        res.end();
      };
      if (req.headers["x-ms-version"] !== BLOB_API_VERSION) return refuse(400, "MissingRequiredHeader");
      if (!/^Bearer storage-token-\d+$/.test(String(req.headers.authorization)))
        return refuse(401, "InvalidAuthenticationInfo");
      if (state.forbiddenBlobs.has(name)) return refuse(403, "AuthorizationPermissionMismatch");
      if (req.method === "GET") {
        const text = blobs.get(name);
        if (text === undefined) return refuse(404, "BlobNotFound");
        res.writeHead(200, { "Content-Type": "application/json" });
        return res.end(text);
      }
      if (req.method === "PUT") {
        if (req.headers["x-ms-blob-type"] !== "BlockBlob") return refuse(400, "MissingRequiredHeader");
        let text = "";
        for await (const chunk of req) text += chunk;
        blobs.set(name, text);
        res.writeHead(201);
        return res.end();
      }
      return refuse(405, "UnsupportedHttpVerb");
    }
    const match = /^\/secrets\/([^/]+)$/.exec(url.pathname);
    if (!match || url.searchParams.get("api-version") !== "7.4")
      return send(400, { error: { code: "BadParameter" } });
    if (!/^Bearer token-\d+$/.test(String(req.headers.authorization)))
      return send(401, { error: { code: "Unauthorized" } });
    const name = decodeURIComponent(match[1]);
    if (state.forbidden.has(name))
      return send(403, { error: { code: "Forbidden", message: "Caller is not authorized" } });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const bundle = (
      secret: {
        value: string;
        version: string;
        contentType?: string;
        expiresOn?: Date;
        tags: Record<string, string>;
      },
      withValue: boolean,
    ) => ({
      ...(withValue ? { value: secret.value } : {}),
      id: `${base}/secrets/${name}/${secret.version}`,
      contentType: secret.contentType,
      attributes: {
        enabled: true,
        ...(secret.expiresOn ? { exp: Math.floor(secret.expiresOn.getTime() / 1000) } : {}),
      },
      tags: secret.tags,
    });
    if (req.method === "GET") {
      const secret = await vault.getSecret(name);
      return secret ? send(200, bundle(secret, true)) : send(404, { error: { code: "SecretNotFound" } });
    }
    if (req.method === "PUT") {
      let text = "";
      for await (const chunk of req) text += chunk;
      const body = JSON.parse(text) as {
        value: string;
        contentType?: string;
        attributes?: { exp?: number };
        tags?: Record<string, string>;
      };
      await vault.setSecret(name, body.value, {
        contentType: body.contentType,
        expiresOn: body.attributes?.exp !== undefined ? new Date(body.attributes.exp * 1000) : undefined,
        tags: body.tags,
      });
      return send(200, bundle(vault.latest(name)!, false));
    }
    send(405, { error: { code: "MethodNotAllowed" } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    vault,
    get tokenRequests() {
      return state.tokenRequests;
    },
    forbidden: state.forbidden,
    blobs,
    forbiddenBlobs: state.forbiddenBlobs,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const env = (e: Emulator) => ({ IDENTITY_ENDPOINT: `${e.base}/msi/token`, IDENTITY_HEADER });

test("the REST client reads, writes and reports errors by code, with one cached token", async () => {
  const e = await emulator();
  try {
    const client = new KeyVaultRestClient(`${e.base}/`, managedIdentityTokenProvider(env(e), CLIENT_ID));
    expect(await client.getSecret("missing")).toBeUndefined();
    const expiresOn = new Date("2027-03-01T00:00:00Z");
    const { version } = await client.setSecret("conn", '{"password":"p@ss"}', {
      contentType: "application/json",
      expiresOn,
      tags: { a: "b" },
    });
    expect(await client.getSecret("conn")).toEqual({
      name: "conn",
      value: '{"password":"p@ss"}',
      version,
      contentType: "application/json",
      expiresOn,
      tags: { a: "b" },
    });
    expect(e.tokenRequests).toBe(1);

    e.forbidden.add("conn");
    const error = await client.getSecret("conn").catch((err: unknown) => err);
    expect(error).toBeInstanceOf(KeyVaultRequestError);
    expect((error as KeyVaultRequestError).status).toBe(403);
    expect((error as Error).message).toBe("reading secret conn failed with HTTP 403 (Forbidden)");
    expect((error as Error).message).not.toContain("p@ss");

    await expect(
      new KeyVaultRestClient(`${e.base}/`, managedIdentityTokenProvider({}, CLIENT_ID)).getSecret("conn"),
    ).rejects.toThrow(/no managed identity/);
  } finally {
    await e.close();
  }
});

test("the journal client creates, reads and overwrites blobs with a storage token, and reports errors by code", async () => {
  const e = await emulator();
  try {
    const journals = new BlobJournalStore(
      `${e.base}/${JOURNAL_CONTAINER}/`,
      managedIdentityTokenProvider(env(e), CLIENT_ID, STORAGE_RESOURCE),
    );
    // No blob yet: idle, and nothing is created by reading.
    expect(await journals.read("conn.json")).toBeUndefined();
    expect(e.blobs.size).toBe(0);
    const pending = {
      state: "pending" as const,
      secret: "conn",
      rotationOf: "v1",
      pending: { conn_type: "postgres", login: "app", password: "p@ss" },
    };
    await journals.write("conn.json", pending);
    expect(await journals.read("conn.json")).toEqual(pending);
    await journals.write("conn.json", { state: "idle" });
    expect(await journals.read("conn.json")).toEqual({ state: "idle" });
    expect([...e.blobs.keys()]).toEqual(["conn.json"]);

    e.forbiddenBlobs.add("conn.json");
    const error = await journals.read("conn.json").catch((err: unknown) => err);
    expect(error).toBeInstanceOf(JournalRequestError);
    expect((error as JournalRequestError).status).toBe(403);
    expect((error as Error).message).toBe(
      "reading journal conn.json failed with HTTP 403 (AuthorizationPermissionMismatch)",
    );
    await expect(journals.write("conn.json", pending)).rejects.toThrow(
      /^writing journal conn.json failed with HTTP 403 \(AuthorizationPermissionMismatch\)$/,
    );

    // A blob that is not a journal is refused by name, without echoing what it holds.
    e.forbiddenBlobs.clear();
    e.blobs.set("odd.json", '{"password":"p@ss"}');
    await expect(journals.read("odd.json")).rejects.toThrow(
      /^journal odd.json is neither idle nor a pending rotation$/,
    );
    // A Key Vault token does not open the container.
    const wrongAudience = new BlobJournalStore(
      `${e.base}/${JOURNAL_CONTAINER}`,
      managedIdentityTokenProvider(env(e), CLIENT_ID),
    );
    await expect(wrongAudience.read("conn.json")).rejects.toThrow(/HTTP 401 \(InvalidAuthenticationInfo\)/);
  } finally {
    await e.close();
  }
});

describe("the deployed bundle", () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(() => pg?.destroy());

  test("is a Functions package whose RotateSecret rotates a Postgres password through Key Vault's REST API", async () => {
    const pkg = rotatorPackage();
    const assets = (await pkg.archive.assets) as unknown as Record<string, { text: Promise<string> }>;
    expect(Object.keys(assets).sort()).toEqual([
      "RotateSecret/function.json",
      "dist/rotator.js",
      "host.json",
    ]);
    expect(JSON.parse(FUNCTION_JSON)).toEqual({
      bindings: [{ type: "eventGridTrigger", direction: "in", name: "event" }],
      scriptFile: "../dist/rotator.js",
      entryPoint: "rotateSecret",
    });
    expect(JSON.parse(HOST_JSON).version).toBe("2.0");

    // A US Government vault: a public-cloud token would be refused, so the endpoint only issues
    // tokens for that cloud's Key Vault audience.
    const e = await emulator("https://vault.usgovcloudapi.net");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "azure-rotator-"));
    const saved = { ...process.env };
    try {
      await pg.query("CREATE ROLE bundle_user LOGIN PASSWORD 'bundle-initial-pw'");
      const name = "airflow-prod-connections-warehouse";
      const connection = {
        conn_type: "postgres",
        host: pg.host,
        port: pg.port,
        schema: "postgres",
        login: "bundle_user",
        password: "bundle-initial-pw",
      };
      const { version } = await e.vault.setSecret(name, JSON.stringify(connection), {
        contentType: "application/json",
        expiresOn: new Date(Date.now() + 10 * 86_400_000),
      });

      fs.writeFileSync(path.join(dir, "rotator.js"), await assets["dist/rotator.js"].text);
      Object.assign(process.env, env(e), {
        AZURE_CLIENT_ID: CLIENT_ID,
        AIRFLOW_ROTATION_CONFIG: JSON.stringify({
          vaultUrl: `${e.base}/`,
          tokenResource: "https://vault.usgovcloudapi.net",
          secrets: { [name]: { strategy: "single-user", everyDays: 30, journalName: `${name}.json` } },
          journals: { containerUrl: `${e.base}/${JOURNAL_CONTAINER}` },
        }),
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const entry = require(path.join(dir, "rotator.js")) as {
        rotateSecret(context: unknown, event: unknown): Promise<void>;
      };
      const logs: string[] = [];
      const log = Object.assign((m: string) => logs.push(m), {
        error: (m: string) => logs.push(`ERROR ${m}`),
      });
      await entry.rotateSecret(
        { log },
        {
          eventType: "Microsoft.KeyVault.SecretNearExpiry",
          subject: name,
          data: { ObjectType: "Secret", ObjectName: name, Version: version },
        },
      );

      expect(logs).toEqual([expect.stringMatching(new RegExp(`^rotated ${name} to version \\w+$`))]);
      const rotated = JSON.parse(e.vault.latest(name)!.value) as { password: string };
      expect(rotated.password).not.toBe("bundle-initial-pw");
      // The journal is a blob of the rotator's storage, idle again; the vault holds no journal.
      expect(JSON.parse(e.blobs.get(`${name}.json`)!)).toEqual({ state: "idle" });
      expect(e.vault.history(`${name}-rotation-pending`)).toEqual([]);
      const client = new Client({
        host: pg.host,
        port: pg.port,
        user: "bundle_user",
        password: rotated.password,
        database: "postgres",
      });
      await client.connect();
      await client.end();
    } finally {
      process.env = saved;
      fs.rmSync(dir, { recursive: true, force: true });
      await e.close();
    }
  });
});
