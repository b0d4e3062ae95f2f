/**
 * `airflow-secrets rotate-now --stack NAME (--conn ID[,ID] | --all-rotated)`: rotates now, with the
 * caller's credentials, through the backend's own deployed rotation (the same function a schedule
 * runs), waits for it, and exits 0 only if the credential Airflow reads afterwards logs in. Every step
 * is reported with its time; no secret value is ever printed.
 */
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { parseArgs, UsageError } from "../args";
import { ROTATE_NOW_USAGE } from "../usage";
import { awsRotationDriver } from "./aws";
import { rotateConnection, type RotationDriver } from "./rotateSteps";
import { IncidentIo, messageOf, processIo, StepFailed, StepLog } from "./steps";
import { IncidentTarget, loadIncidentTarget, RotatedConnection, selectRotated } from "./target";
import { secretsManagerSdk } from "./sdk";
import { gcpRotationDriver, GcpRotationClients, gcpClientsFromEnvironment } from "./gcp";
import { azureRotationDriver, AzureRotationClients, azureClientsFromEnvironment } from "./azure";
import { vaultRotateNow, VaultClientOptions, vaultClientFromEnvironment } from "./vault";

/** Clients the command uses; tests hand in ones bound to local fakes. Each defaults to the real one. */
export interface IncidentDeps {
  secretsManager?: (region: string) => SecretsManagerClient;
  gcp?: (target: IncidentTarget) => GcpRotationClients;
  azure?: (target: IncidentTarget) => AzureRotationClients;
  vault?: () => VaultClientOptions;
  /** How often the waits poll (default 2 s). */
  intervalMs?: number;
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_TIMEOUT_SECONDS = 300;

interface Options {
  stack?: string;
  configFile?: string;
  cwd: string;
  conn?: string;
  allRotated: boolean;
  retirePrevious: boolean;
  timeoutMs: number;
}

function readOptions(argv: readonly string[]): Options {
  const args = parseArgs(argv, {
    values: ["stack", "config-file", "cwd", "conn", "timeout"],
    switches: ["all-rotated", "retire-previous"],
  });
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  if (!args.values.stack && !args.values["config-file"])
    throw new UsageError("--stack NAME or --config-file FILE is required");
  const allRotated = args.switches.has("all-rotated");
  if (allRotated === (args.values.conn !== undefined))
    throw new UsageError("give exactly one of --conn ID[,ID] and --all-rotated");
  const timeout = args.values.timeout ?? String(DEFAULT_TIMEOUT_SECONDS);
  if (!/^\d+(\.\d+)?$/.test(timeout) || Number(timeout) <= 0)
    throw new UsageError(`--timeout must be a positive number of seconds, not "${timeout}"`);
  return {
    stack: args.values.stack,
    configFile: args.values["config-file"],
    cwd: args.values.cwd ?? process.cwd(),
    conn: args.values.conn,
    allRotated,
    retirePrevious: args.switches.has("retire-previous"),
    timeoutMs: Number(timeout) * 1000,
  };
}

function awsRegion(target: IncidentTarget): string {
  const region = target.settings.region;
  if (typeof region !== "string") throw new Error(`stack ${target.stack}: aws.region is not set`);
  return region;
}

/** The rotation driver of the stack's backend, or an error saying why it has none. */
function driverFor(target: IncidentTarget, options: Options, deps: IncidentDeps): RotationDriver {
  const wait = { timeoutMs: options.timeoutMs, intervalMs: deps.intervalMs ?? 2000 };
  switch (target.backend) {
    case "aws": {
      if (target.store === "ssm")
        throw new Error(
          "SSM parameters have no rotation of their own: put a new value with pulumi config set --secret and pulumi up",
        );
      const region = awsRegion(target);
      const client =
        deps.secretsManager?.(region) ??
        new (secretsManagerSdk("rotate-now on AWS").SecretsManagerClient)({ region });
      return awsRotationDriver({ client, ...wait });
    }
    case "gcp":
      return gcpRotationDriver(
        target,
        (deps.gcp ?? gcpClientsFromEnvironment(deps.env ?? process.env))(target),
        wait,
      );
    case "azure":
      return azureRotationDriver(
        target,
        (deps.azure ?? azureClientsFromEnvironment(deps.env ?? process.env))(target),
        wait,
      );
    default:
      throw new Error(
        `the ${target.backend} backend has no rotation function: change the secure: value (pulumi config set --secret) and run pulumi up`,
      );
  }
}

export async function runRotateNow(
  argv: readonly string[],
  io: IncidentIo = processIo,
  deps: IncidentDeps = {},
): Promise<number> {
  let options: Options;
  try {
    options = readOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`error: ${error.message}\n\n${ROTATE_NOW_USAGE}\n`);
    return 2;
  }
  const log = new StepLog(io);
  let target: IncidentTarget;
  let selected: RotatedConnection[];
  try {
    target = await log.step(
      "load the stack (offline synth)",
      () => loadIncidentTarget(options),
      (t) => `${t.stack}: ${t.environment}, backend ${t.backend}`,
    );
    if (target.backend === "vault") {
      const { rotated, failed } = await vaultRotateNow(
        target,
        { conn: options.conn, allRotated: options.allRotated },
        log,
        (deps.vault ?? vaultClientFromEnvironment(deps.env ?? process.env))(),
      );
      return finish(io, log, rotated, failed);
    }
    selected = selectRotated(target, options);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n\n${ROTATE_NOW_USAGE}\n`);
      return 2;
    }
    if (!(error instanceof StepFailed)) io.stderr(`error: ${messageOf(error)}\n`);
    return 1;
  }
  let driver: RotationDriver;
  try {
    driver = driverFor(target, options, deps);
  } catch (error) {
    io.stderr(`error: ${messageOf(error)}\n`);
    return 1;
  }
  const failed: string[] = [];
  for (const connection of selected) {
    try {
      await rotateConnection(connection, driver, log);
      if (options.retirePrevious && connection.strategy === "alternating-users") {
        log.note("rotating again to retire the previous login's password (--retire-previous)");
        await rotateConnection(connection, driver, log);
      }
    } catch (error) {
      if (!(error instanceof StepFailed)) log.note(`unexpected: ${messageOf(error)}`);
      failed.push(connection.connId);
    }
  }
  return finish(
    io,
    log,
    selected.map((c) => c.connId).filter((id) => !failed.includes(id)),
    failed,
  );
}

/** The closing line and the exit status: 1 if anything failed. */
function finish(io: IncidentIo, log: StepLog, rotated: string[], failed: string[]): number {
  if (failed.length > 0) {
    io.stderr(
      `error: rotation failed for ${failed.join(", ")}${rotated.length > 0 ? ` (rotated: ${rotated.join(", ")})` : ""}\n`,
    );
    return 1;
  }
  log.heading(`rotated ${rotated.join(", ")}; the new credentials log in`);
  return 0;
}
