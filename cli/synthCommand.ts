import * as path from "path";
import { ValidationError } from "../components/airflow";
import { parseArgs, UsageError } from "./args";
import { synthesize, synthJson, synthText, SynthResult } from "./synth/synth";
import { findProject, stackConfigFile } from "./synth/stackFile";

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const defaultIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export const SYNTH_USAGE = `usage: airflow-secrets synth --stack NAME [--config-file FILE] [--json]

Runs the stack program offline under Pulumi's mock runtime and prints the resource tree and the
Airflow configuration (or, with --json, a byte-stable document for review diffs). secure: values
cannot be decrypted offline and are shown as "[secret]".`;

/** Parses synth's options and runs it; shared by `synth` and `check`. */
export async function synthFromArgs(argv: readonly string[], extraSwitches: readonly string[] = []): Promise<{
  result: SynthResult;
  switches: Set<string>;
}> {
  const args = parseArgs(argv, { values: ["stack", "config-file", "cwd"], switches: ["json", ...extraSwitches] });
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  const stack = args.values.stack;
  const explicitFile = args.values["config-file"];
  if (!stack && !explicitFile) throw new UsageError("--stack NAME or --config-file FILE is required");
  const project = findProject(args.values.cwd ?? process.cwd());
  const configFile = explicitFile ? path.resolve(explicitFile) : stackConfigFile(project, stack!);
  const stackName = stack ?? path.basename(configFile).replace(/^Pulumi\.(.*)\.ya?ml$/, "$1");
  const result = await synthesize({ project, stack: stackName, configFile });
  return { result, switches: args.switches };
}

/** Turns expected failures into a clear message and an exit code; anything else is a bug and keeps its trace. */
export function reportFailure(error: unknown, io: CommandIo, usage: string): number {
  if (error instanceof UsageError) {
    io.stderr(`error: ${error.message}\n\n${usage}\n`);
    return 2;
  }
  if (error instanceof ValidationError) {
    io.stderr(`error: ${error.message}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/^(backend:|stack config file|no Pulumi\.yaml|Missing required configuration)|is not valid YAML/.test(message)) {
    io.stderr(`error: ${message}\n`);
    return 1;
  }
  throw error;
}

export async function runSynth(argv: readonly string[], io: CommandIo = defaultIo): Promise<number> {
  try {
    const { result, switches } = await synthFromArgs(argv);
    io.stdout(switches.has("json") ? synthJson(result) : synthText(result));
    return 0;
  } catch (error) {
    return reportFailure(error, io, SYNTH_USAGE);
  }
}
