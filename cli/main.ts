/** The `airflow-secrets` command. */
import * as fs from "fs";
import * as path from "path";
import { COMMAND_USAGE, MAIN_USAGE, wantsHelp } from "./usage";

export interface MainIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: MainIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * Each command loads its own modules when chosen: `--help` loads nothing, `lint-dags` and `init` never
 * load Pulumi, plain `synth` never loads the policy pack.
 */
const COMMANDS: Record<string, (argv: string[], io: MainIo) => Promise<number>> = {
  init: (argv, io) => (require("./init") as typeof import("./init")).runInit(argv, io),
  synth: (argv, io) => (require("./synthCommand") as typeof import("./synthCommand")).runSynth(argv, io),
  check: (argv, io) => (require("./check") as typeof import("./check")).runCheck(argv, io),
  "lint-dags": (argv, io) => (require("./lintDags") as typeof import("./lintDags")).runLintDags(argv, io),
  import: (argv, io) => (require("./import") as typeof import("./import")).runImport(argv, io),
  inventory: (argv, io) => (require("./inventory") as typeof import("./inventory")).runInventory(argv, io),
  "rotate-now": (argv, io) =>
    (require("./incident/rotateNow") as typeof import("./incident/rotateNow")).runRotateNow(argv, io),
  revoke: (argv, io) =>
    (require("./incident/revoke") as typeof import("./incident/revoke")).runRevoke(argv, io),
  verify: (argv, io) => (require("./verify") as typeof import("./verify")).runVerify(argv, io),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** This package's version: package.json is two folders up from dist/cli, one up from cli/. */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (manifest.name === "airflow-secrets" && manifest.version) return manifest.version;
    }
    if (path.dirname(dir) === dir) return "unknown";
  }
}

/** Runs one command and returns its exit status; the caller sets it once the output has drained. */
export async function main(argv: readonly string[], io: MainIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    const topic = command === "help" && rest[0] ? COMMAND_USAGE[rest[0]] : undefined;
    io.stdout(`${topic ?? MAIN_USAGE}\n`);
    return 0;
  }
  if (command === "--version" || command === "-V" || command === "version") {
    io.stdout(`airflow-secrets ${packageVersion()}\n`);
    return 0;
  }
  const run = command ? COMMANDS[command] : undefined;
  if (!run) {
    io.stderr(`${command ? `error: unknown command "${command}"\n\n` : ""}${MAIN_USAGE}\n`);
    return 2;
  }
  if (wantsHelp(rest)) {
    io.stdout(`${COMMAND_USAGE[command]}\n`);
    return 0;
  }
  return run(rest, io);
}

/** Resolves once everything written to the stream so far has been handed to the OS. */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write("", () => resolve());
  });
}

/**
 * The process entry (bin/airflow-secrets.js): the status is set first and the process ends only once
 * stdout and stderr have drained, so output piped into another program is never cut. Ending explicitly
 * after that keeps a lingering handle of a user's program from holding the command open.
 */
export function runAsProcess(argv: readonly string[]): void {
  // A reader that goes away early (`| head`) is not an error of ours.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
  main(argv)
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      return 70;
    })
    .then(async (code) => {
      process.exitCode = code;
      await Promise.all([drained(process.stdout), drained(process.stderr)]);
      process.exit();
    });
}

if (require.main === module) runAsProcess(process.argv.slice(2));
