/** A small, strict option parser: unknown flags and missing values are usage errors, not guesses. */
export class UsageError extends Error {}

export interface OptionSpec {
  /** Flags that take a value (`--stack dev`). */
  values: readonly string[];
  /** Flags that are switches (`--json`). */
  switches: readonly string[];
}

export interface ParsedArgs {
  values: Record<string, string>;
  switches: Set<string>;
  positionals: string[];
}

export function parseArgs(argv: readonly string[], spec: OptionSpec): ParsedArgs {
  const parsed: ParsedArgs = { values: {}, switches: new Set(), positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      parsed.positionals.push(arg);
      continue;
    }
    const [flag, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (spec.switches.includes(flag)) {
      if (inline !== undefined) throw new UsageError(`--${flag} takes no value`);
      parsed.switches.add(flag);
    } else if (spec.values.includes(flag)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`--${flag} needs a value`);
      parsed.values[flag] = value;
    } else {
      throw new UsageError(`unknown option --${flag}`);
    }
  }
  return parsed;
}
