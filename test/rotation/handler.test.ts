/**
 * The Secrets Manager rotation Lambda end to end: the real SDK client against the local fake
 * Secrets Manager, a real PostgreSQL, and the faults a rotation meets in production.
 */
import {
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { execFile } from "child_process";
import { randomUUID } from "crypto";
import * as fs from "fs";
import { promisify } from "util";
import { rotationHandlerBundle } from "../../components/aws/rotator";
import { handler, type RotationStep } from "../../components/aws/rotator/handler";
import {
  RotationError,
  type AirflowConnectionJson,
  type RotationStrategy,
} from "../../components/rotation/internal";
import { FakeSecretsManager } from "../support/fakeSecretsManager";
import { setLambdaEnvironment } from "../support/lambdaEnvironment";
import { startPostgres, type TestPostgres } from "../support/postgres";
import {
  canLogIn,
  connectionJson,
  createLoginRole,
  lambdaLikeDirectory,
  randomPassword,
  uniqueRole,
} from "./helpers";

const STEPS: RotationStep[] = ["createSecret", "setSecret", "testSecret", "finishSecret"];
const ENV_KEYS = [
  "SECRETS_MANAGER_ENDPOINT",
  "AWS_REGION",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "ROTATION_STRATEGY",
  "MASTER_SECRET_ARN",
  "PASSWORD_LENGTH",
  "EXCLUDE_CHARACTERS",
];

let pg: TestPostgres;
let fake: FakeSecretsManager;
let sm: SecretsManagerClient;
let masterArn: string;
let restoreEnvironment: (() => void) | undefined;
const logLines: string[] = [];

beforeAll(async () => {
  [pg, fake] = await Promise.all([startPostgres(), FakeSecretsManager.start()]);
  restoreEnvironment = setLambdaEnvironment(fake.endpoint, "us-east-1", [
    "ROTATION_STRATEGY",
    "MASTER_SECRET_ARN",
    "PASSWORD_LENGTH",
    "EXCLUDE_CHARACTERS",
  ]);
  sm = new SecretsManagerClient({
    endpoint: fake.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "x" },
  });
  masterArn = fake.createSecret(
    "airflow/connections/pg_master",
    JSON.stringify(connectionJson(pg, pg.superuser, pg.superPassword)),
  );
});

afterAll(async () => {
  restoreEnvironment?.();
  sm?.destroy();
  await Promise.all([fake?.close(), pg?.destroy()]);
});

beforeEach(() => {
  const capture = (...args: unknown[]) => void logLines.push(args.map(String).join(" "));
  jest.spyOn(console, "log").mockImplementation(capture);
  jest.spyOn(console, "error").mockImplementation(capture);
});

afterEach(() => {
  jest.restoreAllMocks();
  // Whatever a test did, the handler logged only these fields, never a value.
  for (const line of logLines.splice(0)) {
    expect(
      Object.keys(JSON.parse(line)).filter(
        (k) => !["step", "secretId", "token", "outcome", "code", "ms"].includes(k),
      ),
    ).toEqual([]);
  }
});

/** The handler's environment as this test file set it, for a child process. */
function pickEnv(): Record<string, string> {
  return Object.fromEntries(
    ENV_KEYS.filter((key) => process.env[key] !== undefined).map((key) => [key, process.env[key]!]),
  );
}

function step(Step: RotationStep, SecretId: string, ClientRequestToken: string) {
  return handler({ Step, SecretId, ClientRequestToken });
}

/** The error code a step fails with (RotationError code or AWS exception name). */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof RotationError ? error.code : (error as Error).name;
  }
  return "succeeded";
}

async function runSteps(arn: string, token: string, steps: RotationStep[] = STEPS): Promise<string[]> {
  const outcomes: string[] = [];
  for (const name of steps) outcomes.push(await step(name, arn, token));
  return outcomes;
}

function secret(arn: string, where: { stage?: string; versionId?: string } = {}): AirflowConnectionJson {
  const value = fake.value(arn, where);
  if (value === undefined) throw new Error(`no value at ${JSON.stringify(where)}`);
  return JSON.parse(value) as AirflowConnectionJson;
}

const current = (arn: string) => secret(arn, { stage: "AWSCURRENT" });

interface Fixture {
  arn: string;
  initial: AirflowConnectionJson;
}

/**
 * A fresh role and its connection secret in the fake. Alternating-users secrets name the master in
 * `masterarn` unless `master` is null (then only MASTER_SECRET_ARN can supply it).
 */
async function fixture(
  strategy: RotationStrategy,
  options: {
    login?: string;
    master?: string | null;
    json?: (login: string, password: string) => AirflowConnectionJson;
  } = {},
): Promise<Fixture> {
  const login = options.login ?? uniqueRole(strategy === "single-user" ? "su" : "au");
  const password = randomPassword();
  await createLoginRole(pg, login, password);
  const master = options.master === undefined ? masterArn : options.master;
  const initial: AirflowConnectionJson = options.json?.(login, password) ?? {
    ...connectionJson(pg, login, password, { sslmode: "prefer", connect_timeout: 5 }),
    rotation_strategy: strategy,
    ...(strategy === "alternating-users" && master !== null ? { masterarn: master } : {}),
  };
  const arn = fake.createSecret(`airflow/connections/${uniqueRole("conn")}`, JSON.stringify(initial));
  return { arn, initial };
}

/** An operator cancels a running rotation the documented way: rotation off, AWSPENDING taken off its version. */
async function cancelRotation(arn: string, pendingVersionId: string): Promise<void> {
  fake.cancelRotation(arn);
  await sm.send(
    new UpdateSecretVersionStageCommand({
      SecretId: arn,
      VersionStage: "AWSPENDING",
      RemoveFromVersionId: pendingVersionId,
    }),
  );
}

/** The credential Airflow would be left with if everything stopped now. */
function workingStage(strategy: RotationStrategy): string {
  // Single user: after setSecret the database has the pending password until finishSecret moves AWSCURRENT.
  return strategy === "single-user" ? "AWSPENDING" : "AWSCURRENT";
}

describe("end to end", () => {
  it("single user: Airflow's view logs in after rotation, the old password does not", async () => {
    const { arn, initial } = await fixture("single-user");
    const firstToken = fake.startRotation(arn);
    expect(await runSteps(arn, firstToken)).toEqual(["created", "set", "tested", "finished"]);
    const afterFirst = current(arn);
    expect(await canLogIn(pg, afterFirst)).toBe(true);
    expect(await canLogIn(pg, initial)).toBe(false);
    expect(afterFirst).toEqual({ ...initial, password: afterFirst.password });
    expect(afterFirst.password).toHaveLength(32);
    expect(secret(arn, { stage: "AWSPREVIOUS" })).toEqual(initial);

    await runSteps(arn, fake.startRotation(arn));
    expect(await canLogIn(pg, current(arn))).toBe(true);
    expect(await canLogIn(pg, afterFirst)).toBe(false);
    expect(fake.stages(arn)[firstToken]).toEqual(["AWSPREVIOUS"]);
  });

  it("alternating users: logins flip, the previous one keeps working until the next rotation", async () => {
    const { arn, initial } = await fixture("alternating-users");
    const login = String(initial.login);
    await pg.query(`CREATE TABLE ${login}_orders (id int)`);
    await pg.query(`GRANT SELECT ON ${login}_orders TO ${login}`);

    await runSteps(arn, fake.startRotation(arn));
    const first = current(arn);
    expect(first.login).toBe(`${login}_clone`);
    expect(await canLogIn(pg, first)).toBe(true);
    expect(await canLogIn(pg, initial)).toBe(true);
    const clone = await pg.connect(String(first.login), String(first.password));
    await expect(clone.query(`SELECT count(*) FROM ${login}_orders`)).resolves.toBeDefined();
    await clone.end();

    await runSteps(arn, fake.startRotation(arn));
    const second = current(arn);
    expect(second.login).toBe(login);
    expect(await canLogIn(pg, second)).toBe(true);
    expect(await canLogIn(pg, secret(arn, { stage: "AWSPREVIOUS" }))).toBe(true);
    expect(await canLogIn(pg, initial)).toBe(false);
  });

  it("alternating users: takes the master secret's ARN from MASTER_SECRET_ARN when the secret has none", async () => {
    const { arn, initial } = await fixture("alternating-users", { master: null });
    expect(await failure(runSteps(arn, fake.startRotation(arn)))).toBe("INVALID_CONFIG");
    process.env.MASTER_SECRET_ARN = masterArn;
    try {
      const [token] = Object.entries(fake.stages(arn)).find(([, stages]) => stages.includes("AWSPENDING"))!;
      expect(await runSteps(arn, token)).toEqual(["pending-exists", "set", "tested", "finished"]);
    } finally {
      delete process.env.MASTER_SECRET_ARN;
    }
    expect(await canLogIn(pg, current(arn))).toBe(true);
    expect(await canLogIn(pg, initial)).toBe(true);
  });

  it("honours PASSWORD_LENGTH and EXCLUDE_CHARACTERS, and rejects a bad PASSWORD_LENGTH", async () => {
    const { arn } = await fixture("single-user");
    const token = fake.startRotation(arn);
    process.env.PASSWORD_LENGTH = "abc";
    expect(await failure(step("createSecret", arn, token))).toBe("INVALID_CONFIG");
    process.env.PASSWORD_LENGTH = "64";
    process.env.EXCLUDE_CHARACTERS = "abcdefghijklmnopqrstuvwxyz";
    try {
      await runSteps(arn, token);
    } finally {
      delete process.env.PASSWORD_LENGTH;
      delete process.env.EXCLUDE_CHARACTERS;
    }
    const password = String(current(arn).password);
    expect(password).toHaveLength(64);
    expect(password).not.toMatch(/[a-z]/);
    expect(await canLogIn(pg, current(arn))).toBe(true);
  });

  it("logs one line per step with step, secret, token and outcome, and no secret value", async () => {
    const { arn, initial } = await fixture("single-user");
    const token = fake.startRotation(arn);
    await runSteps(arn, token);
    await failure(step("setSecret", arn, randomUUID()));
    const lines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => [l.step, l.outcome])).toEqual([
      ["createSecret", "created"],
      ["setSecret", "set"],
      ["testSecret", "tested"],
      ["finishSecret", "finished"],
      ["setSecret", "failed"],
    ]);
    expect(lines[0]).toMatchObject({ secretId: arn, token });
    expect(lines[4].code).toBe("TOKEN_NOT_FOUND");
    const text = logLines.join("\n");
    for (const value of [initial.password, current(arn).password, pg.superPassword])
      expect(text).not.toContain(String(value));
  });

  it("the esbuild bundle rotates the same way when run by a separate node process", async () => {
    const { arn, initial } = await fixture("alternating-users");
    const token = fake.startRotation(arn);
    const dir = lambdaLikeDirectory(rotationHandlerBundle());
    const script = `
      const { handler } = require("./index.js");
      (async () => {
        for (const Step of ["createSecret", "setSecret", "testSecret", "finishSecret"]) {
          await handler({ Step, SecretId: process.env.SECRET_ARN, ClientRequestToken: process.env.TOKEN });
        }
      })().catch((error) => { console.error(error.message); process.exit(1); });`;
    const env = { PATH: process.env.PATH, ...pickEnv(), SECRET_ARN: arn, TOKEN: token };
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], { cwd: dir, env });
      expect(
        stdout
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line).outcome),
      ).toEqual(["created", "set", "tested", "finished"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(await canLogIn(pg, current(arn))).toBe(true);
    expect(await canLogIn(pg, initial)).toBe(true);
  });

  it("rejects a malformed invocation", async () => {
    expect(
      await failure(
        handler({ SecretId: "x", ClientRequestToken: "t", Step: "rotateSecret" as RotationStep }),
      ),
    ).toBe("INVALID_EVENT");
  });
});

describe.each<RotationStrategy>(["single-user", "alternating-users"])("faults (%s)", (strategy) => {
  it("database down at setSecret: AWSCURRENT still logs in, a retry completes", async () => {
    const { arn, initial } = await fixture(strategy);
    const token = fake.startRotation(arn);
    await step("createSecret", arn, token);
    await pg.stop();
    try {
      expect(await failure(step("setSecret", arn, token))).toBe("DB_UNREACHABLE");
    } finally {
      await pg.start();
    }
    expect(current(arn)).toEqual(initial);
    expect(await canLogIn(pg, current(arn))).toBe(true);
    expect(await runSteps(arn, token, ["setSecret", "testSecret", "finishSecret"])).toEqual([
      "set",
      "tested",
      "finished",
    ]);
    expect(await canLogIn(pg, current(arn))).toBe(true);
  });

  it("database down at testSecret: the working credential stays in the secret, a retry completes", async () => {
    const { arn } = await fixture(strategy);
    const token = fake.startRotation(arn);
    await runSteps(arn, token, ["createSecret", "setSecret"]);
    await pg.stop();
    try {
      expect(await failure(step("testSecret", arn, token))).toBe("DB_UNREACHABLE");
    } finally {
      await pg.start();
    }
    expect(await canLogIn(pg, secret(arn, { stage: workingStage(strategy) }))).toBe(true);
    expect(await runSteps(arn, token, ["testSecret", "finishSecret"])).toEqual(["tested", "finished"]);
    expect(await canLogIn(pg, current(arn))).toBe(true);
  });

  it("every step retried twice: one new password, one new version, AWSCURRENT logs in", async () => {
    const { arn, initial } = await fixture(strategy);
    const token = fake.startRotation(arn);
    const outcomes: string[] = [];
    const before = fake.calls.length;
    let pendingPassword: unknown;
    for (const name of STEPS) {
      for (let attempt = 0; attempt < 3; attempt++) {
        outcomes.push(await step(name, arn, token));
        if (name === "createSecret") {
          pendingPassword ??= secret(arn, { versionId: token }).password;
          expect(secret(arn, { versionId: token }).password).toBe(pendingPassword);
        }
      }
    }
    expect(outcomes).toEqual([
      "created",
      "pending-exists",
      "pending-exists",
      "set",
      "already-set",
      "already-set",
      "tested",
      "tested",
      "tested",
      "finished",
      "already-current",
      "already-current",
    ]);
    expect(fake.versionIds(arn)).toHaveLength(2);
    // Retried createSecret found the pending value instead of generating and storing another.
    expect(fake.calls.slice(before).filter((op) => op === "PutSecretValue")).toHaveLength(1);
    expect(current(arn).password).toBe(pendingPassword);
    expect(await canLogIn(pg, current(arn))).toBe(true);
    expect(secret(arn, { stage: "AWSPREVIOUS" })).toEqual(initial);
  });

  it("two concurrent createSecret invocations for one token store one password", async () => {
    const { arn } = await fixture(strategy);
    const token = fake.startRotation(arn);
    const outcomes = await Promise.all([step("createSecret", arn, token), step("createSecret", arn, token)]);
    expect(outcomes.sort()).toEqual(["created", "pending-exists"].sort());
    await runSteps(arn, token, ["setSecret", "testSecret", "finishSecret"]);
    expect(await canLogIn(pg, current(arn))).toBe(true);
  });

  it("crash between setSecret and finishSecret, then the service retries the rotation", async () => {
    const { arn } = await fixture(strategy);
    const token = fake.startRotation(arn);
    await runSteps(arn, token, ["createSecret", "setSecret"]);
    // The function died here. The credential that works is still in the secret:
    expect(await canLogIn(pg, secret(arn, { stage: workingStage(strategy) }))).toBe(true);
    expect(await runSteps(arn, token)).toEqual(["pending-exists", "already-set", "tested", "finished"]);
    expect(await canLogIn(pg, current(arn))).toBe(true);
    expect(fake.versionIds(arn)).toHaveLength(2);
  });

  it("two rotations racing: the superseded token changes nothing, the other completes", async () => {
    const { arn, initial } = await fixture(strategy);
    const stale = fake.startRotation(arn);
    await step("createSecret", arn, stale);
    // An operator cancels and restarts rotation the documented way while the first is still running.
    await cancelRotation(arn, stale);
    const fresh = fake.startRotation(arn);
    const [staleRun, freshRun] = await Promise.allSettled([
      runSteps(arn, stale, ["setSecret", "testSecret", "finishSecret"]),
      runSteps(arn, fresh),
    ]);
    expect(staleRun).toMatchObject({ status: "rejected", reason: { code: "TOKEN_NOT_FOUND" } });
    expect(freshRun).toEqual({ status: "fulfilled", value: ["created", "set", "tested", "finished"] });
    expect(fake.stages(arn)[fresh]).toContain("AWSCURRENT");
    expect(await canLogIn(pg, current(arn))).toBe(true);
    expect(await canLogIn(pg, secret(arn, { versionId: stale }))).toBe(false);
    if (strategy === "alternating-users") expect(await canLogIn(pg, initial)).toBe(true);
  });

  it("token that is not a version of the secret: every step refuses, nothing is written", async () => {
    const { arn, initial } = await fixture(strategy);
    const before = fake.calls.length;
    for (const name of STEPS) expect(await failure(step(name, arn, randomUUID()))).toBe("TOKEN_NOT_FOUND");
    // A version that exists but carries only an unrelated label is not a rotation version either.
    const labelled = randomUUID();
    await sm.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: labelled,
        SecretString: "{}",
        VersionStages: ["MYLABEL"],
      }),
    );
    expect(await failure(step("setSecret", arn, labelled))).toBe("VERSION_NOT_PENDING");
    expect(fake.calls.slice(before).filter((op) => op === "UpdateSecretVersionStage")).toEqual([]);
    expect(fake.calls.slice(before).filter((op) => op === "PutSecretValue")).toHaveLength(1);
    expect(current(arn)).toEqual(initial);
    expect(await canLogIn(pg, initial)).toBe(true);
  });

  it("rotation not enabled: refuses before reading or writing anything", async () => {
    const { arn, initial } = await fixture(strategy);
    const token = fake.startRotation(arn);
    fake.cancelRotation(arn);
    const before = fake.calls.length;
    for (const name of STEPS) expect(await failure(step(name, arn, token))).toBe("ROTATION_NOT_ENABLED");
    expect(new Set(fake.calls.slice(before))).toEqual(new Set(["DescribeSecret"]));
    expect(await canLogIn(pg, current(arn))).toBe(true);
    expect(current(arn)).toEqual(initial);
  });

  it("a password with every character excluded by default, and a login that needs quoting", async () => {
    const login = `${strategy === "single-user" ? "Su" : "Au"} "q" 'x' ${uniqueRole("n")}`;
    const { arn, initial } = await fixture(strategy, { login });
    const token = fake.startRotation(arn);
    const hostile = `"'\\/@\` $$;--%E'\\\\' OR '1'='1`;
    const pendingLogin = strategy === "single-user" ? login : `${login}_clone`;
    // Stored as createSecret would have stored it, had the generator drawn these characters.
    await sm.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: token,
        SecretString: JSON.stringify({ ...initial, login: pendingLogin, password: hostile }),
        VersionStages: ["AWSPENDING"],
      }),
    );
    expect(await runSteps(arn, token)).toEqual(["pending-exists", "set", "tested", "finished"]);
    expect(current(arn)).toMatchObject({ login: pendingLogin, password: hostile });
    expect(await canLogIn(pg, current(arn))).toBe(true);
    expect(await canLogIn(pg, initial)).toBe(strategy === "alternating-users");
  });

  it.each([
    ["missing host", { host: undefined }, "MISSING_FIELD"],
    ["missing login", { login: "" }, "MISSING_FIELD"],
    ["missing password", { password: undefined }, "MISSING_FIELD"],
    ["an unsupported conn_type", { conn_type: "http" }, "UNSUPPORTED_CONN_TYPE"],
    ["conn_type mysql", { conn_type: "mysql" }, "UNSUPPORTED_CONN_TYPE"],
  ])("secret with %s: createSecret refuses and writes nothing", async (_, change, code) => {
    const { arn, initial } = await fixture(strategy, {
      json: (login, password) => ({
        ...connectionJson(pg, login, password),
        rotation_strategy: strategy,
        masterarn: masterArn,
        ...change,
      }),
    });
    const token = fake.startRotation(arn);
    const before = fake.calls.length;
    expect(await failure(step("createSecret", arn, token))).toBe(code);
    expect(fake.calls.slice(before)).not.toContain("PutSecretValue");
    expect(fake.value(arn, { versionId: token })).toBeUndefined();
    expect(fake.value(arn, {})).toBe(JSON.stringify(initial));
  });
});

describe("faults (alternating users only)", () => {
  it("wrong master credential: AUTH_FAILED naming the master, AWSCURRENT untouched; fixed master completes", async () => {
    const badMaster = fake.createSecret(
      `airflow/connections/${uniqueRole("master")}`,
      JSON.stringify(connectionJson(pg, pg.superuser, "not-the-password")),
    );
    const { arn, initial } = await fixture("alternating-users", { master: badMaster });
    const token = fake.startRotation(arn);
    await step("createSecret", arn, token);
    let message = "";
    try {
      await step("setSecret", arn, token);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^AUTH_FAILED: master secret/);
    expect(message).not.toContain("not-the-password");
    expect(await canLogIn(pg, current(arn))).toBe(true);
    expect(await canLogIn(pg, secret(arn, { versionId: token }))).toBe(false);

    await sm.send(
      new PutSecretValueCommand({
        SecretId: badMaster,
        ClientRequestToken: randomUUID(),
        SecretString: JSON.stringify(connectionJson(pg, pg.superuser, pg.superPassword)),
      }),
    );
    expect(await runSteps(arn, token, ["setSecret", "testSecret", "finishSecret"])).toEqual([
      "set",
      "tested",
      "finished",
    ]);
    expect(await canLogIn(pg, current(arn))).toBe(true);
    expect(await canLogIn(pg, initial)).toBe(true);
  });

  it("superseded after setSecret: the clone's password is simply set again, both logins keep working", async () => {
    const { arn, initial } = await fixture("alternating-users");
    const stale = fake.startRotation(arn);
    await runSteps(arn, stale, ["createSecret", "setSecret"]);
    await cancelRotation(arn, stale);
    const fresh = fake.startRotation(arn);
    expect(await runSteps(arn, fresh)).toEqual(["created", "set", "tested", "finished"]);
    expect(await canLogIn(pg, current(arn))).toBe(true);
    expect(await canLogIn(pg, initial)).toBe(true);
  });

  it("refuses a clone name PostgreSQL would truncate, before writing anything", async () => {
    // 58 bytes is a valid role name, but "_clone" makes it 64 and PostgreSQL keeps 63.
    const { arn } = await fixture("alternating-users", { login: uniqueRole("long").padEnd(58, "x") });
    const token = fake.startRotation(arn);
    expect(await failure(step("createSecret", arn, token))).toBe("IDENTIFIER_TOO_LONG");
    expect(fake.value(arn, { versionId: token })).toBeUndefined();
  });
});

describe("faults (single user only)", () => {
  it("AWSCURRENT's password not (yet) in the database: setSecret logs in with AWSPREVIOUS instead", async () => {
    const { arn, initial } = await fixture("single-user");
    // Someone stored a new value by hand without changing the database; AWSPREVIOUS still works.
    const stale = { ...initial, password: randomPassword() };
    await sm.send(
      new PutSecretValueCommand({
        SecretId: arn,
        SecretString: JSON.stringify(stale),
        VersionStages: ["AWSCURRENT"],
      }),
    );
    expect(await canLogIn(pg, current(arn))).toBe(false);
    expect(secret(arn, { stage: "AWSPREVIOUS" })).toEqual(initial);
    const token = fake.startRotation(arn);
    expect(await runSteps(arn, token)).toEqual(["created", "set", "tested", "finished"]);
    expect(await canLogIn(pg, current(arn))).toBe(true);
    expect(await canLogIn(pg, initial)).toBe(false);
  });

  it("a previous version for another login is not used, and the failure says no credential logged in", async () => {
    const { arn, initial } = await fixture("single-user");
    const other = uniqueRole("su");
    const otherPassword = randomPassword();
    await createLoginRole(pg, other, otherPassword);
    // AWSPREVIOUS names a login that works, AWSCURRENT names ours with a password the database lacks.
    await sm.send(
      new PutSecretValueCommand({
        SecretId: arn,
        SecretString: JSON.stringify({ ...initial, login: other, password: otherPassword }),
        VersionStages: ["AWSCURRENT"],
      }),
    );
    await sm.send(
      new PutSecretValueCommand({
        SecretId: arn,
        SecretString: JSON.stringify({ ...initial, password: randomPassword() }),
        VersionStages: ["AWSCURRENT"],
      }),
    );
    const token = fake.startRotation(arn);
    await step("createSecret", arn, token);
    await expect(step("setSecret", arn, token)).rejects.toMatchObject({
      code: "AUTH_FAILED",
      message: expect.stringMatching(/^AUTH_FAILED: current secret: .*28P01/),
    });
    expect(await canLogIn(pg, { ...initial, login: other, password: otherPassword })).toBe(true);
    expect(await canLogIn(pg, initial)).toBe(true);
  });
});

describe("alternating users without a schema", () => {
  it("pins the database the current login reaches, so the clone does not look for a database of its own name", async () => {
    const login = uniqueRole("au");
    await pg.query(`CREATE DATABASE ${login}`);
    const { arn, initial } = await fixture("alternating-users", {
      login,
      json: (l, p) => {
        const { schema: _schema, ...rest } = connectionJson(pg, l, p);
        return { ...rest, rotation_strategy: "alternating-users", masterarn: masterArn };
      },
    });
    expect(initial.schema).toBeUndefined();
    expect(await runSteps(arn, fake.startRotation(arn))).toEqual(["created", "set", "tested", "finished"]);
    const after = current(arn);
    expect(after).toEqual({ ...initial, login: `${login}_clone`, password: after.password, schema: login });
    expect(await canLogIn(pg, after)).toBe(true);
    expect(await runSteps(arn, fake.startRotation(arn))).toEqual(["created", "set", "tested", "finished"]);
    expect(current(arn)).toMatchObject({ login, schema: login });
  });
});
