/** The `airflow-secrets` command. */
import { defaultIo, runSynth } from "./synthCommand";

const USAGE = `usage: airflow-secrets <command> [options]

commands:
  synth --stack NAME [--config-file FILE] [--json] [--check]   offline synth of a stack (mock runtime)
  check --stack NAME [--config-file FILE] [--policy-config FILE] [--json]
                                                               the policy pack's verdict on a stack, offline
  lint-dags [--format text|json] PATH...                      secret lookups that run at DAG parse time`;

/** Each command loads its own modules when chosen: `synth` never loads the DAG parser, `lint-dags` never loads Pulumi. */
const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  synth: (argv) => runSynth(argv),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  check: (argv) => (require("./check") as typeof import("./check")).runCheck(argv),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  "lint-dags": (argv) => (require("./lintDags") as typeof import("./lintDags")).runLintDags(argv),
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "help") {
    defaultIo.stdout(`${USAGE}\n`);
    return 0;
  }
  const run = command ? COMMANDS[command] : undefined;
  if (!run) {
    defaultIo.stderr(`${command ? `error: unknown command "${command}"\n\n` : ""}${USAGE}\n`);
    return 2;
  }
  return run(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(70);
    },
  );
}
