import * as fs from "fs";
import * as path from "path";
import { ValidationError } from "../components/airflow";
import { ParsedArgs, parseArgs, UsageError } from "./args";
import { isLibraryProgram, stackProgram, synthesize, synthJson, synthText, SynthResult } from "./synth/synth";
import { SYNTH_USAGE, wantsHelp } from "./usage";
import type { MockOptions } from "./synth/mockRuntime";
import { locateStack, readStackConfig } from "./synth/stackFile";

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const defaultIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export { SYNTH_USAGE };

export interface SynthInvocation {
  result: SynthResult;
  switches: Set<string>;
  values: Record<string, string>;
  /** What the mock runtime was given: project, stack, flat config and its secret keys. */
  mockOptions: MockOptions;
}

/** Parses synth's options plus a command's own; usage errors surface before anything runs. */
export function parseSynthArgs(
  argv: readonly string[],
  extra: { values?: readonly string[]; switches?: readonly string[] } = {},
): ParsedArgs {
  const args = parseArgs(argv, {
    values: ["stack", "config-file", "cwd", ...(extra.values ?? [])],
    switches: ["json", ...(extra.switches ?? [])],
  });
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  if (!args.values.stack && !args.values["config-file"])
    throw new UsageError("--stack NAME or --config-file FILE is required");
  return args;
}

/** Synthesizes the stack the parsed options name; shared by `synth` and `check`. */
export async function synthFromArgs(args: ParsedArgs): Promise<SynthInvocation> {
  const {
    project,
    configFile,
    stack: stackName,
  } = locateStack({
    stack: args.values.stack,
    configFile: args.values["config-file"],
    cwd: args.values.cwd,
  });
  const programModule = loadableProgram(project.root);
  const result = await synthesize({ project, stack: stackName, configFile, programModule });
  const stackConfig = readStackConfig(configFile, project.name, {
    libraryProgram: isLibraryProgram(programModule),
  });
  return {
    result,
    switches: args.switches,
    values: args.values,
    mockOptions: {
      project: project.name,
      stack: stackName,
      config: stackConfig.config,
      secretKeys: stackConfig.secretKeys,
    },
  };
}

/** A stack program that cannot be loaded for a reason the user can fix: reported without a trace. */
export class ProgramLoadError extends Error {}

/**
 * The stack program synth runs, made loadable: a project's own `stacks/program.ts` (without a compiled
 * `program.js` next to it) is compiled by the project's own ts-node and tsconfig, never this package's.
 */
export function loadableProgram(projectRoot: string): string {
  const program = stackProgram(projectRoot);
  const own = path.join(projectRoot, "stacks", "program");
  if (program !== own || fs.existsSync(`${own}.js`) || require.extensions[".ts"]) return program;
  let tsNode: string;
  try {
    tsNode = require.resolve("ts-node", { paths: [projectRoot] });
  } catch {
    throw new ProgramLoadError(
      `${path.join("stacks", "program.ts")} is TypeScript and ts-node is not installed in ${projectRoot}: ` +
        "run `npm install --save-dev ts-node typescript` there, or compile the program to stacks/program.js",
    );
  }
  // The project's ts-node, typed here: it is not a dependency of this package.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require(tsNode) as { register(options: Record<string, unknown>): void }).register({
    transpileOnly: true,
    projectSearchDir: projectRoot,
    compilerOptions: { module: "commonjs" },
  });
  return program;
}

/** A ValidationError from any copy of the library (a user's program may load its own). */
function isValidationError(error: unknown): error is Error {
  return (
    error instanceof ValidationError ||
    (error instanceof Error &&
      error.name === "ValidationError" &&
      Array.isArray((error as { problems?: unknown }).problems))
  );
}

/** Turns expected failures into a clear message and an exit code; anything else is a bug and keeps its trace. */
export function reportFailure(error: unknown, io: CommandIo, usage: string): number {
  if (error instanceof UsageError) {
    io.stderr(`error: ${error.message}\n\n${usage}\n`);
    return 2;
  }
  if (isValidationError(error) || error instanceof ProgramLoadError) {
    io.stderr(`error: ${error.message}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (
    /^(backend:|stack config file|no Pulumi\.yaml|Missing required configuration)|is not valid YAML/.test(
      message,
    )
  ) {
    io.stderr(`error: ${message}\n`);
    return 1;
  }
  throw error;
}

export async function runSynth(argv: readonly string[], io: CommandIo = defaultIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout(`${SYNTH_USAGE}\n`);
    return 0;
  }
  try {
    const args = parseSynthArgs(argv, {
      values: ["policy-config", "dags", "prices", "parse-interval", "dag-processors"],
      switches: ["check"],
    });
    const check = args.switches.has("check");
    if (args.values["policy-config"] !== undefined && !check)
      throw new UsageError("--policy-config is only used with --check");
    if (check && args.switches.has("json")) {
      throw new UsageError(
        "--check prints a text verdict after the tree; for JSON use `airflow-secrets check --json`",
      );
    }
    // Loaded on demand: plain `synth` does not pay for the policy pack.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const checks = check ? (require("./check") as typeof import("./check")) : undefined;
    const config = checks ? checks.loadPolicyConfig(args.values["policy-config"], io) : {};
    if (!config) return 2;
    const invocation = await synthFromArgs(args);
    const printed = args.switches.has("json") ? synthJson(invocation.result) : synthText(invocation.result);
    // The lookup-cost estimate loads the DAG parser: only when --dags asks for it.
    io.stdout(
      args.values.dags === undefined
        ? printed
        : // eslint-disable-next-line @typescript-eslint/no-require-imports
          await (require("./cost/synthCost") as typeof import("./cost/synthCost")).withLookupCost(
            printed,
            invocation,
            args.values,
            args.switches.has("json"),
            io.stderr,
          ),
    );
    if (!checks) return 0;
    io.stdout("\n");
    return await checks.checkInvocation(invocation, { config, json: false }, io);
  } catch (error) {
    return reportFailure(error, io, SYNTH_USAGE);
  }
}
