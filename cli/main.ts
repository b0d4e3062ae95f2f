/** The `airflow-secrets` command. */
import { defaultIo, runSynth } from "./synthCommand";

const USAGE = `usage: airflow-secrets <command> [options]

commands:
  synth --stack NAME [--config-file FILE] [--json]   offline synth of a stack (mock runtime)`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  synth: (argv) => runSynth(argv),
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
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
