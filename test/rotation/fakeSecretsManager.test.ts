/** The fake must behave like Secrets Manager for the handler tests to mean anything: checked through the real SDK. */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { randomUUID } from "crypto";
import { FakeSecretsManager } from "../support/fakeSecretsManager";

let fake: FakeSecretsManager;
let sm: SecretsManagerClient;

beforeAll(async () => {
  fake = await FakeSecretsManager.start();
  sm = new SecretsManagerClient({
    endpoint: fake.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  sm?.destroy();
  await fake?.close();
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

/** A new version carrying AWSPENDING, as the handler's createSecret step writes it. */
function putPending(arn: string, token: string, value: string) {
  return sm.send(
    new PutSecretValueCommand({
      SecretId: arn,
      ClientRequestToken: token,
      SecretString: value,
      VersionStages: ["AWSPENDING"],
    }),
  );
}

describe("fake Secrets Manager, through @aws-sdk/client-secrets-manager", () => {
  it("listens on loopback only", () => {
    expect(fake.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("describes versions and stages and finds secrets by ARN or name", async () => {
    const arn = fake.createSecret("airflow/connections/describe", "v1");
    const byArn = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
    const byName = await sm.send(new DescribeSecretCommand({ SecretId: "airflow/connections/describe" }));
    expect(byArn.ARN).toBe(arn);
    expect(byName.VersionIdsToStages).toEqual(byArn.VersionIdsToStages);
    expect(Object.values(byArn.VersionIdsToStages!)).toEqual([["AWSCURRENT"]]);
    expect(byArn.RotationEnabled).toBe(true);
  });

  it("returns AWS-shaped errors the SDK maps to its exception classes", async () => {
    const missing = await rejection(sm.send(new GetSecretValueCommand({ SecretId: "nope" })));
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.message).toBe("Secrets Manager can't find the specified secret.");
  });

  it("reads by stage, by version id, and refuses a version id with a stage it does not carry", async () => {
    const arn = fake.createSecret("airflow/connections/read", "v1");
    const current = await sm.send(new GetSecretValueCommand({ SecretId: arn }));
    expect(current.SecretString).toBe("v1");
    const byId = await sm.send(
      new GetSecretValueCommand({ SecretId: arn, VersionId: current.VersionId, VersionStage: "AWSCURRENT" }),
    );
    expect(byId.SecretString).toBe("v1");
    const wrongStage = sm.send(
      new GetSecretValueCommand({ SecretId: arn, VersionId: current.VersionId, VersionStage: "AWSPENDING" }),
    );
    expect(await rejection(wrongStage)).toBeInstanceOf(ResourceNotFoundException);
  });

  it("makes PutSecretValue idempotent on ClientRequestToken and refuses to change a version", async () => {
    const arn = fake.createSecret("airflow/connections/put", "v1");
    const token = randomUUID();
    await putPending(arn, token, "v2");
    await putPending(arn, token, "v2");
    expect(fake.versionIds(arn)).toHaveLength(2);
    const changed = sm.send(
      new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: "v3" }),
    );
    expect(await rejection(changed)).toBeInstanceOf(ResourceExistsException);
    expect(fake.value(arn, { versionId: token })).toBe("v2");
  });

  it("puts AWSCURRENT on a new version by default and AWSPREVIOUS on the one it left", async () => {
    const arn = fake.createSecret("airflow/connections/default-stage", "v1");
    const [first] = fake.versionIds(arn);
    const token = randomUUID();
    await sm.send(
      new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: "v2" }),
    );
    expect(fake.stages(arn)).toEqual({ [first]: ["AWSPREVIOUS"], [token]: ["AWSCURRENT"] });
  });

  it("moves stages with UpdateSecretVersionStage, insisting on RemoveFromVersionId", async () => {
    const arn = fake.createSecret("airflow/connections/move", "v1");
    const [first] = fake.versionIds(arn);
    const token = randomUUID();
    await putPending(arn, token, "v2");
    const withoutRemove = sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: "AWSCURRENT",
        MoveToVersionId: token,
      }),
    );
    expect((await rejection(withoutRemove)).name).toBe("InvalidParameterException");
    const wrongRemove = sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: "AWSCURRENT",
        MoveToVersionId: token,
        RemoveFromVersionId: token,
      }),
    );
    expect((await rejection(wrongRemove)).name).toBe("InvalidParameterException");
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: "AWSCURRENT",
        MoveToVersionId: token,
        RemoveFromVersionId: first,
      }),
    );
    expect(fake.stages(arn)).toEqual({ [first]: ["AWSPREVIOUS"], [token]: ["AWSPENDING", "AWSCURRENT"] });
    const removeCurrent = sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: "AWSCURRENT",
        RemoveFromVersionId: token,
      }),
    );
    expect((await rejection(removeCurrent)).name).toBe("InvalidParameterException");
  });

  it("emulates RotateSecret: a value-less AWSPENDING version, refused while a rotation is unfinished", async () => {
    const arn = fake.createSecret("airflow/connections/rotate", "v1", { rotationEnabled: false });
    const token = fake.startRotation(arn);
    expect(fake.stages(arn)[token]).toEqual(["AWSPENDING"]);
    expect((await sm.send(new DescribeSecretCommand({ SecretId: arn }))).RotationEnabled).toBe(true);
    const pending = sm.send(
      new GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: "AWSPENDING" }),
    );
    expect(await rejection(pending)).toBeInstanceOf(ResourceNotFoundException);
    expect(() => fake.startRotation(arn)).toThrow("A previous rotation isn't complete");
    fake.cancelRotation(arn);
    expect((await sm.send(new DescribeSecretCommand({ SecretId: arn }))).RotationEnabled).toBe(false);
    expect(fake.stages(arn)[token]).toEqual(["AWSPENDING"]);
  });
});
