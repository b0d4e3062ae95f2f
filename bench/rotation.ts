/**
 * Rotation benchmark: the Lambda bundle's size and cold import time, and a full four-step rotation
 * against a local PostgreSQL and the fake Secrets Manager, as a ratio to the floor measured in the
 * same run (connect, ALTER ROLE, reconnect with the new password, with nothing else around it).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import { performance } from "perf_hooks";
import { deflateRawSync } from "zlib";
import { ROTATION_HANDLER_ENV, rotationHandlerBundle } from "../components/aws/rotator";
import { handler, type RotationStep } from "../components/aws/rotator/handler";
import { quoteLiteral } from "../components/rotation/internal";
import {
  canLogIn,
  connectionJson,
  createLoginRole,
  lambdaLikeDirectory,
  randomPassword,
} from "../test/rotation/helpers";
import { FakeSecretsManager } from "../test/support/fakeSecretsManager";
import { startPostgres, type TestPostgres } from "../test/support/postgres";

const RUNS = 9;
const STEPS: RotationStep[] = ["createSecret", "setSecret", "testSecret", "finishSecret"];
/** Every variable the handler reads, plus the SDK's: saved and restored around the runs. */
const HANDLER_ENV = [
  ...Object.values(ROTATION_HANDLER_ENV),
  "AWS_REGION",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

async function timeRuns(run: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** Milliseconds a fresh node process spends in `require(request)`, median of RUNS processes. */
function coldRequire(dir: string, request: string): number {
  const script = `const t = process.hrtime.bigint(); require(${JSON.stringify(request)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  const env = { PATH: process.env.PATH, AWS_REGION: "us-east-1" };
  return median(
    Array.from({ length: RUNS }, () =>
      Number(execFileSync(process.execPath, ["-e", script], { cwd: dir, env, encoding: "utf8" })),
    ),
  );
}

async function withHandlerEnv<T>(env: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(HANDLER_ENV.map((key) => [key, process.env[key]]));
  const log = console.log;
  Object.assign(process.env, env);
  console.log = () => undefined; // the handler's per-step log lines are not benchmark output
  try {
    return await work();
  } finally {
    console.log = log;
    for (const key of HANDLER_ENV) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
}

export async function benchRotation(): Promise<string[]> {
  const lines = ["rotation"];

  const buildStart = performance.now();
  const bundle = rotationHandlerBundle();
  const buildMs = performance.now() - buildStart;
  const zipped = deflateRawSync(bundle, { level: 9 }).length;
  lines.push(
    `  bundle: ${kib(bundle.length)}, ${kib(zipped)} deflated (zip estimate), built in ${ms(buildMs)}`,
  );

  const dir = lambdaLikeDirectory(bundle);
  try {
    const bundleImport = coldRequire(dir, "./index.js");
    const sdkImport = coldRequire(dir, "@aws-sdk/client-secrets-manager");
    lines.push(
      `  cold import of the bundle: ${ms(bundleImport)} median of ${RUNS} fresh processes; ` +
        `the runtime's SDK client alone: ${ms(sdkImport)}; ratio ${(bundleImport / sdkImport).toFixed(2)}x`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const [pg, fake] = await Promise.all([startPostgres(), FakeSecretsManager.start()]);
  try {
    const floor = await floorRotation(pg);
    lines.push(`  floor (connect, ALTER ROLE, reconnect): ${ms(floor)} median of ${RUNS}`);
    const masterArn = fake.createSecret(
      "bench/master",
      JSON.stringify(connectionJson(pg, pg.superuser, pg.superPassword)),
    );
    const env = {
      SECRETS_MANAGER_ENDPOINT: fake.endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDBENCH",
      AWS_SECRET_ACCESS_KEY: "bench",
      MASTER_SECRET_ARN: masterArn,
    };
    for (const strategy of ["single-user", "alternating-users"]) {
      const login = `bench_${strategy.replace("-", "_")}`;
      const password = randomPassword();
      await createLoginRole(pg, login, password);
      const arn = fake.createSecret(`bench/${login}`, JSON.stringify(connectionJson(pg, login, password)));
      const median = await withHandlerEnv({ ...env, ROTATION_STRATEGY: strategy }, () =>
        timeRuns(async () => {
          const token = fake.startRotation(arn);
          for (const Step of STEPS) await handler({ Step, SecretId: arn, ClientRequestToken: token });
        }),
      );
      if (!(await canLogIn(pg, JSON.parse(fake.value(arn, { stage: "AWSCURRENT" })!)))) {
        throw new Error(`${strategy}: AWSCURRENT does not log in after the benchmark`);
      }
      lines.push(
        `rotation ${strategy}: library/floor ${(median / floor).toFixed(2)}x, ${median.toFixed(0)} ms`,
        `  (full four-step rotation, median of ${RUNS}; floor ${ms(floor)})`,
      );
    }
  } finally {
    await fake.close();
    // Not awaited: the benchmark's private server stops with this process, and waiting on its
    // teardown can outlast everything that keeps the event loop alive.
    void pg.destroy();
  }
  return lines;
}

/** The least a password change can cost: one login, one ALTER ROLE, one login with the new password. */
async function floorRotation(pg: TestPostgres): Promise<number> {
  const login = "bench_floor";
  let password = randomPassword();
  await createLoginRole(pg, login, password);
  return timeRuns(async () => {
    const next = randomPassword();
    const client = await pg.connect(login, password);
    await client.query(`ALTER ROLE ${login} PASSWORD ${quoteLiteral(next)}`);
    await client.end();
    const again = await pg.connect(login, next);
    await again.end();
    password = next;
  });
}
