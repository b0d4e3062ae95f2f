/**
 * The GCP rotation handler against a real PostgreSQL and the in-memory Secret Manager: rotation,
 * Pub/Sub redelivery, unrelated messages, and failures that must leave the current version working.
 */
import { rotatorPasswordPolicy } from "../../components/rotation/config";
import { randomBytes } from "crypto";
import {
  handleRotationMessage,
  RotationMessage,
  RotationOutcome,
} from "../../components/gcp/rotator/handler";
import { ManagedSecret, RotatorConfig } from "../../components/gcp/rotator/config";
import { SecretManagerError } from "../../components/gcp/rotator/secretManagerClient";
import {
  acceptsLogin,
  connectionJson,
  createRandomLogin,
  startPostgres,
  TestPostgres,
} from "../support/postgres";
import { askPython } from "../support/airflowSemantics";
import { FakeSecretManager } from "./fakeSecretManager";

const PROJECT = "acme-data-test";
const NUMBER = "998877665544";

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(() => pg?.destroy());

const connection = (login: string, password: string) =>
  connectionJson(pg, login, password, { sslmode: "disable" });

const canLogIn = (login: string, password: string) => acceptsLogin(pg, login, password);

/** A new secret whose first version is the connection for `login`. */
function storeConnection(fake: FakeSecretManager, secretId: string, login: string, password: string): void {
  fake.createSecret(secretId);
  fake.seed(secretId, JSON.stringify(connection(login, password)));
}

interface Setup {
  fake: FakeSecretManager;
  config: RotatorConfig;
  secretId: string;
  login: string;
  password: string;
}

/** A fresh role, its connection secret, and a rotator configuration managing that secret. */
async function managedRole(
  prefix: string,
  managed: Omit<ManagedSecret, "connId">,
  passwordLength = 32,
): Promise<Setup> {
  const fake = new FakeSecretManager(PROJECT, NUMBER);
  const { login, password } = await createRandomLogin(pg, prefix);
  const secretId = `airflow-test-connections-${login}`;
  storeConnection(fake, secretId, login, password);
  const config: RotatorConfig = {
    projectId: PROJECT,
    projectNumber: NUMBER,
    secrets: { [secretId]: { connId: login, ...managed } },
    password: rotatorPasswordPolicy({ length: passwordLength }),
  };
  return { fake, config, secretId, login, password };
}

const singleUser = () => managedRole("gcp_single", { strategy: "single-user" });

function rotateMessage(
  fake: FakeSecretManager,
  secretId: string,
  extra: Partial<RotationMessage["attributes"]> = {},
): RotationMessage {
  return {
    messageId: String(Math.floor(Math.random() * 1e15)),
    publishTime: fake.timestamp(),
    attributes: {
      eventType: "SECRET_ROTATE",
      secretId: `projects/${NUMBER}/secrets/${secretId}`,
      dataFormat: "JSON_API_V1",
      ...extra,
    },
  };
}

const latestJson = (fake: FakeSecretManager, secretId: string) =>
  JSON.parse(fake.payloads(secretId).at(-1)!) as Record<string, string>;

describe("the in-memory Secret Manager", () => {
  it("keeps the API's version semantics", async () => {
    const fake = new FakeSecretManager(PROJECT, NUMBER);
    fake.createSecret("s");
    const v1 = fake.seed("s", "one");
    const v2 = await fake.addSecretVersion(`projects/${PROJECT}/secrets/s`, Buffer.from("two"));
    expect([v1.name, v2.name]).toEqual([
      `projects/${NUMBER}/secrets/s/versions/1`,
      `projects/${NUMBER}/secrets/s/versions/2`,
    ]);
    expect(v2.createTime > v1.createTime).toBe(true);
    expect(
      (await fake.accessSecretVersion(`projects/${PROJECT}/secrets/s/versions/latest`)).data.toString(),
    ).toBe("two");
    fake.disable("s", 2);
    // latest is the newest version whatever its state, and a disabled version cannot be read.
    expect((await fake.getSecretVersion(`projects/${NUMBER}/secrets/s/versions/latest`)).state).toBe(
      "DISABLED",
    );
    await expect(
      fake.accessSecretVersion(`projects/${NUMBER}/secrets/s/versions/latest`),
    ).rejects.toMatchObject({ code: "FAILED_PRECONDITION" });
    expect((await fake.accessSecretVersion(`projects/${NUMBER}/secrets/s/versions/1`)).data.toString()).toBe(
      "one",
    );
    fake.destroy("s", 1);
    expect(fake.payloads("s")).toEqual([undefined, "two"]);
    await expect(
      fake.getSecretVersion(`projects/${NUMBER}/secrets/missing/versions/latest`),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(fake.addSecretVersion(`projects/other/secrets/s`, Buffer.from("x"))).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
    });
  });
});

describe("handleRotationMessage", () => {
  it("changes the password, proves it, then adds a version Airflow can parse", async () => {
    const { fake, config, secretId, login, password } = await singleUser();
    const outcome = await handleRotationMessage(rotateMessage(fake, secretId), { client: fake, config });
    expect(outcome).toMatchObject({
      result: "rotated",
      version: `projects/${NUMBER}/secrets/${secretId}/versions/2`,
      login,
    });
    const stored = latestJson(fake, secretId);
    expect(stored.password).not.toBe(password);
    expect(stored.password).toHaveLength(32);
    expect(await canLogIn(login, stored.password)).toBe(true);
    expect(await canLogIn(login, password)).toBe(false);
    // Every other field carried over, and Airflow's Connection.from_json still accepts the value.
    expect({ ...stored, password: undefined }).toEqual({
      ...connection(login, password),
      password: undefined,
    });
    const [parsed] = askPython([{ op: "json", value: fake.payloads(secretId).at(-1)! }]);
    expect(parsed.error).toBeUndefined();
    expect(parsed.ok).toMatchObject({
      login,
      password: stored.password,
      conn_type: "postgres",
      port: pg.port,
    });
    // Database first, then the version: the add is the last call.
    expect(fake.calls.at(-1)).toEqual({
      method: "addSecretVersion",
      name: `projects/${PROJECT}/secrets/${secretId}`,
    });
  });

  it("does not rotate again when Pub/Sub redelivers the same message", async () => {
    const { fake, config, secretId, login } = await singleUser();
    const message = rotateMessage(fake, secretId);
    expect((await handleRotationMessage(message, { client: fake, config })).result).toBe("rotated");
    const afterFirst = latestJson(fake, secretId).password;

    const redelivered = await handleRotationMessage({ ...message }, { client: fake, config });
    expect(redelivered).toEqual({
      result: "already-rotated",
      secret: `projects/${PROJECT}/secrets/${secretId}`,
      latestVersion: `projects/${NUMBER}/secrets/${secretId}/versions/2`,
    });
    expect(fake.payloads(secretId)).toHaveLength(2);
    expect(await canLogIn(login, afterFirst)).toBe(true);
    expect(fake.calls.filter((c) => c.method === "addSecretVersion")).toHaveLength(1);

    // The next scheduled rotation (a new message, published later) rotates again.
    expect(
      (await handleRotationMessage(rotateMessage(fake, secretId), { client: fake, config })).result,
    ).toBe("rotated");
    expect(fake.payloads(secretId)).toHaveLength(3);
    expect(await canLogIn(login, latestJson(fake, secretId).password)).toBe(true);
    expect(await canLogIn(login, afterFirst)).toBe(false);
  });

  it("ignores messages for secrets it does not manage, and other event types", async () => {
    const { fake, config, secretId, login, password } = await singleUser();
    storeConnection(fake, "someone-elses-secret", login, password);
    const outcomes: RotationOutcome[] = [
      await handleRotationMessage(rotateMessage(fake, "someone-elses-secret"), { client: fake, config }),
      // Same secret id in another project.
      await handleRotationMessage(
        rotateMessage(fake, secretId, { secretId: `projects/111111111111/secrets/${secretId}` }),
        { client: fake, config },
      ),
      // Our own version additions come back on the topic as SECRET_VERSION_ADD.
      await handleRotationMessage(rotateMessage(fake, secretId, { eventType: "SECRET_VERSION_ADD" }), {
        client: fake,
        config,
      }),
      await handleRotationMessage(rotateMessage(fake, secretId, { eventType: "TOPIC_CONFIGURED" }), {
        client: fake,
        config,
      }),
    ];
    expect(outcomes.map((o) => o.result)).toEqual(["ignored", "ignored", "ignored", "ignored"]);
    expect(fake.calls).toEqual([]);
    expect(fake.payloads(secretId)).toHaveLength(1);
    expect(await canLogIn(login, password)).toBe(true);
  });

  it("alternating users: the master creates the clone; the current login keeps working", async () => {
    const { fake, config, secretId, login, password } = await managedRole(
      "gcp_alt",
      { strategy: "alternating-users", master: "master" },
      24,
    );
    await pg.query(`CREATE TABLE IF NOT EXISTS gcp_rotation_probe (id int)`);
    await pg.query(`GRANT SELECT ON gcp_rotation_probe TO ${login}`);
    storeConnection(fake, "master", pg.superuser, pg.superPassword);
    const outcome = await handleRotationMessage(rotateMessage(fake, secretId), { client: fake, config });
    expect(outcome).toMatchObject({ result: "rotated", login: `${login}_clone` });
    const stored = latestJson(fake, secretId);
    expect(await canLogIn(`${login}_clone`, stored.password)).toBe(true);
    expect(await canLogIn(login, password)).toBe(true);
    const clone = await pg.connect(`${login}_clone`, stored.password);
    try {
      await clone.query("SELECT * FROM gcp_rotation_probe");
    } finally {
      await clone.end();
    }
  });

  it("a database change that fails writes no version and leaves the current credential working", async () => {
    const { fake, config, secretId, password } = await managedRole("gcp_fail", {
      strategy: "alternating-users",
      master: "weak-master",
    });
    const weakMaster = await createRandomLogin(pg, "gcp_weak_master"); // no CREATEROLE: cannot create or change logins
    storeConnection(fake, "weak-master", weakMaster.login, weakMaster.password);
    const outcome = await handleRotationMessage(rotateMessage(fake, secretId), { client: fake, config });
    expect(outcome).toMatchObject({ result: "failed", code: "PERMISSION_DENIED", retryable: false });
    expect(fake.payloads(secretId)).toHaveLength(1);
    expect(fake.calls.some((c) => c.method === "addSecretVersion")).toBe(false);
    const current = latestJson(fake, secretId);
    expect(await canLogIn(current.login, current.password)).toBe(true);
    // The failure message names no password.
    expect(JSON.stringify(outcome)).not.toContain(password);
  });

  it("an unreachable database is retryable and changes nothing", async () => {
    const { fake, config, secretId, login, password } = await singleUser();
    await pg.stop();
    let outcome: RotationOutcome;
    try {
      outcome = await handleRotationMessage(rotateMessage(fake, secretId), { client: fake, config });
    } finally {
      await pg.start();
    }
    expect(outcome).toMatchObject({ result: "failed", code: "DB_UNREACHABLE", retryable: true });
    expect(fake.payloads(secretId)).toHaveLength(1);
    expect(await canLogIn(login, password)).toBe(true);
  });

  it("if the new version cannot be stored, the old password is put back", async () => {
    const { fake, config, secretId, login, password } = await singleUser();
    fake.failNextAdd = new SecretManagerError("UNAVAILABLE", "the service is unavailable");
    let generated = "";
    const outcome = await handleRotationMessage(rotateMessage(fake, secretId), {
      client: fake,
      config,
      newPassword: () => (generated = "Gen3rated-" + randomBytes(9).toString("base64url")),
    });
    expect(outcome).toMatchObject({ result: "failed", code: "SECRET_MANAGER_UNAVAILABLE", retryable: true });
    expect(fake.payloads(secretId)).toHaveLength(1);
    expect(await canLogIn(login, password)).toBe(true);
    expect(await canLogIn(login, generated)).toBe(false);
    // The redelivery after the outage rotates normally.
    expect(
      (await handleRotationMessage(rotateMessage(fake, secretId), { client: fake, config })).result,
    ).toBe("rotated");
    expect(await canLogIn(login, latestJson(fake, secretId).password)).toBe(true);
  });

  it("refuses to act on a disabled latest version (Airflow cannot read it either)", async () => {
    const { fake, config, secretId, login, password } = await singleUser();
    fake.seed(secretId, JSON.stringify(connection(login, "stale")));
    fake.disable(secretId, 2);
    const outcome = await handleRotationMessage(rotateMessage(fake, secretId), { client: fake, config });
    expect(outcome).toMatchObject({ result: "failed", code: "LATEST_NOT_ENABLED", retryable: false });
    expect(fake.payloads(secretId)).toHaveLength(2);
    expect(await canLogIn(login, password)).toBe(true);
  });

  it("a version written after the rotation was requested counts as done", async () => {
    const { fake, config, secretId, login, password } = await singleUser();
    const message = rotateMessage(fake, secretId);
    fake.seed(secretId, JSON.stringify(connection(login, password))); // e.g. a `pulumi up` in between
    expect((await handleRotationMessage(message, { client: fake, config })).result).toBe("already-rotated");
    expect(await canLogIn(login, password)).toBe(true);
  });
});
