/**
 * `rotate-now` on AWS, end to end: the shipped prod stack (Secrets Manager) gives the names, the real
 * SDK client talks to the local fake Secrets Manager, whose RotateSecret runs the real rotation Lambda
 * handler in-process against a real PostgreSQL. Faults are injected into the function's steps.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import * as path from "path";
import { handler, type RotationEvent } from "../../components/aws/rotator/handler";
import type { AirflowConnectionJson } from "../../components/rotation/connection";
import { FakeSecretsManager, type RotationInvocation } from "../support/fakeSecretsManager";
import { setLambdaEnvironment } from "../support/lambdaEnvironment";
import { connectionJson, type TestPostgres } from "../support/postgres";
import {
  logsIn as loginWorks,
  runRotateNowCapturing,
  startRotationDatabase,
  withDatabaseDown,
  withFault,
} from "./rotateNowHelpers";

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, "../..");
const WAREHOUSE = "airflow/prod/connections/warehouse";
const ADMIN = "airflow/prod/connections/warehouse_admin";

let pg: TestPostgres;
let fake: FakeSecretsManager;
let restoreEnvironment: (() => void) | undefined;
const clients: SecretsManagerClient[] = [];

beforeAll(async () => {
  const [{ admin, warehouse, ...db }, started] = await Promise.all([
    startRotationDatabase("rn"),
    FakeSecretsManager.start(),
  ]);
  [pg, fake] = [db.pg, started];
  // The Lambda handler reads its endpoint and credentials from the environment, as on Lambda.
  restoreEnvironment = setLambdaEnvironment(fake.endpoint, "eu-west-1");
  fake.rotationFunction = (event: RotationInvocation) => handler(event as RotationEvent);
  // Alternating users need a master that may create roles: the server's superuser, in a secret of its own.
  const masterArn = fake.createSecret(
    "test/rotation-master",
    JSON.stringify(connectionJson(pg, pg.superuser, pg.superPassword)),
  );
  fake.createSecret(
    ADMIN,
    JSON.stringify({ ...connectionJson(pg, admin.login, admin.password), rotation_strategy: "single-user" }),
  );
  fake.createSecret(
    WAREHOUSE,
    JSON.stringify({
      ...connectionJson(pg, warehouse.login, warehouse.password),
      rotation_strategy: "alternating-users",
      masterarn: masterArn,
    }),
  );
});

afterAll(async () => {
  restoreEnvironment?.();
  for (const client of clients) client.destroy();
  await Promise.all([fake?.close(), pg?.destroy()]);
});

beforeEach(() => {
  // The handler logs one JSON line per step (tested elsewhere); keep the output readable.
  jest.spyOn(console, "log").mockImplementation(() => undefined);
  jest.spyOn(console, "error").mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

/** Every password any version of the two secrets ever held. */
function passwordsSeen(): string[] {
  return [ADMIN, WAREHOUSE].flatMap((name) =>
    fake
      .versionIds(name)
      .map((versionId) => fake.value(name, { versionId }))
      .filter((v): v is string => v !== undefined)
      .map((v) => String((JSON.parse(v) as AirflowConnectionJson).password)),
  );
}

function rotateNow(...argv: string[]) {
  return runRotateNowCapturing(
    ["--cwd", ROOT, "--stack", "prod", ...argv],
    {
      secretsManager: (region) => {
        const client = new SecretsManagerClient({
          endpoint: fake.endpoint,
          region,
          credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "x" },
        });
        clients.push(client);
        return client;
      },
      intervalMs: 25,
    },
    passwordsSeen,
  );
}

function current(name: string): AirflowConnectionJson {
  return JSON.parse(fake.value(name, { stage: "AWSCURRENT" })!) as AirflowConnectionJson;
}
const logsIn = (json: AirflowConnectionJson) => loginWorks(pg, json);

describe("rotate-now on AWS Secrets Manager", () => {
  it("single user: RotateSecret, AWSCURRENT moves, the new password logs in and the old one no longer does", async () => {
    const before = current(ADMIN);
    const run = await rotateNow("--conn", "warehouse_admin");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const after = current(ADMIN);
    expect(after.password).not.toBe(before.password);
    expect(after.login).toBe(before.login);
    expect(await logsIn(after)).toBe(true);
    expect(await logsIn(before)).toBe(false);
    // Nothing left pending: AWSPENDING is at most on the version that is now AWSCURRENT.
    const pendingOnly = Object.values(fake.stages(ADMIN)).filter(
      (s) => s.includes("AWSPENDING") && !s.includes("AWSCURRENT"),
    );
    expect(pendingOnly).toEqual([]);
    // Each step is reported with its time.
    for (const step of [
      "read the current credential",
      "trigger the backend's rotation",
      "wait until AWSCURRENT moves and AWSPENDING is gone",
      "the new credential logs in",
      "the old password no longer logs in",
    ])
      expect(run.stdout).toMatch(new RegExp(`ok   ${step}.*\\(\\d+(\\.\\d)? m?s\\)`));
    expect(fake.calls).toContain("RotateSecret");
  });

  it("alternating users: the login flips, and the old login still works until the next rotation", async () => {
    const before = current(WAREHOUSE);
    const run = await rotateNow("--conn", "warehouse");
    expect(run.code).toBe(0);
    const after = current(WAREHOUSE);
    expect(after.login).toBe(`${String(before.login)}_clone`);
    expect(await logsIn(after)).toBe(true);
    expect(await logsIn(before)).toBe(true);
    expect(run.stdout).toContain(`${String(before.login)} still logs in until the next rotation`);
    expect(run.stdout).toContain("--retire-previous");
  });

  it("alternating users with --retire-previous: rotates twice, so the password read before no longer logs in", async () => {
    const before = current(WAREHOUSE);
    const run = await rotateNow("--conn", "warehouse", "--retire-previous");
    expect(run.code).toBe(0);
    const after = current(WAREHOUSE);
    expect(after.login).toBe(before.login);
    expect(after.password).not.toBe(before.password);
    expect(await logsIn(after)).toBe(true);
    expect(await logsIn(before)).toBe(false);
  });

  it("--all-rotated rotates every rotated connection of the stack", async () => {
    const before = [current(ADMIN), current(WAREHOUSE)];
    const run = await rotateNow("--all-rotated");
    expect(run.code).toBe(0);
    expect(current(ADMIN).password).not.toBe(before[0].password);
    expect(current(WAREHOUSE).password).not.toBe(before[1].password);
    expect(run.stdout).toContain("rotated warehouse, warehouse_admin; the new credentials log in");
  });

  it("a connection without rotation is refused by name before anything is called", async () => {
    const calls = fake.calls.length;
    const run = await rotateNow("--conn", "slack_alerts");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("connection slack_alerts has no rotation in stack prod");
    expect(fake.calls.length).toBe(calls);
  });

  it("usage errors exit 2", async () => {
    expect((await rotateNow()).code).toBe(2);
    expect((await rotateNow("--conn", "warehouse", "--all-rotated")).code).toBe(2);
    expect((await rotateNow("--conn", "warehouse", "--timeout", "soon")).code).toBe(2);
  });

  describe.each([
    {
      fault: "setSecret fails",
      inject: async (event: RotationInvocation) => {
        if (event.Step === "setSecret") throw new Error("injected setSecret failure");
        return handler(event as RotationEvent);
      },
    },
    {
      fault: "the database is down during setSecret",
      inject: async (event: RotationInvocation) => {
        if (event.Step !== "setSecret") return handler(event as RotationEvent);
        return withDatabaseDown(() => pg)(() => handler(event as RotationEvent));
      },
    },
  ])("when $fault", ({ inject }) => {
    it("exits non-zero, AWSCURRENT is unchanged and still logs in, and a second run names the unfinished rotation", async () => {
      for (const [name, conn] of [
        [ADMIN, "warehouse_admin"],
        [WAREHOUSE, "warehouse"],
      ] as const) {
        const before = current(name);
        const run = await withFault(
          () => (fake.rotationFunction = inject),
          () => (fake.rotationFunction = (event) => handler(event as RotationEvent)),
          () => rotateNow("--conn", conn, "--timeout", "2"),
        );
        await fake.rotationRuns.at(-1)!.done;
        expect(fake.rotationRuns.at(-1)!.failedStep).toBe("setSecret");
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(/FAIL wait until AWSCURRENT moves.*not finished within 2 s/);
        expect(run.stdout).toMatch(/ok {3}the current credential still logs in/);
        expect(run.stderr).toContain(`rotation failed for ${conn}`);
        expect(current(name)).toEqual(before);
        expect(await logsIn(before)).toBe(true);

        const again = await rotateNow("--conn", conn, "--timeout", "2");
        expect(again.code).toBe(1);
        expect(again.stdout).toContain("an earlier rotation is unfinished");
        // Clear the pending version as the service's retry would, so the next case starts clean.
        const pending = Object.entries(fake.stages(name)).find(([, stages]) =>
          stages.includes("AWSPENDING"),
        )![0];
        const cleanup = new SecretsManagerClient({
          endpoint: fake.endpoint,
          region: "eu-west-1",
          credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "x" },
        });
        const { UpdateSecretVersionStageCommand } = await import("@aws-sdk/client-secrets-manager");
        await cleanup.send(
          new UpdateSecretVersionStageCommand({
            SecretId: name,
            VersionStage: "AWSPENDING",
            RemoveFromVersionId: pending,
          }),
        );
        cleanup.destroy();
      }
    });
  });

  it("a secret whose rotation is not enabled is refused with what to do", async () => {
    fake.cancelRotation(ADMIN);
    const run = await rotateNow("--conn", "warehouse_admin");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("rotation is not enabled on airflow/prod/connections/warehouse_admin");
  });
});
