/** The hostile stack-file corpus (test/fixtures/hostile) and an in-process run of `airflow-secrets synth`. */
import * as fs from "fs";
import * as path from "path";
import { runSynth } from "../../cli/synthCommand";

export const CORPUS = path.resolve(__dirname, "../fixtures/hostile");

export interface CorpusCase {
  file: string;
  backend: "env" | "vault" | "aws" | "gcp" | "azure";
  kind: string;
  why: string;
  expect: "accepted" | "refused";
  /** For refusals: stderr names at least one of these (a field path, or the offending key). */
  fields?: string[];
  /** Wrong in shape (types, keys, YAML): the published JSON Schema must refuse it too. */
  shape?: boolean;
  /** For acceptances: text the synthesized output must contain. */
  stdout?: string;
  /** Still failing because a part another change owns has not landed; the test asserts it still fails. */
  knownGap?: string;
}

export const manifest = JSON.parse(fs.readFileSync(path.join(CORPUS, "manifest.json"), "utf8")) as {
  marker: string;
  cases: CorpusCase[];
};

export interface Outcome {
  status: number;
  stdout: string;
  stderr: string;
}

/** `airflow-secrets synth --config-file FILE` in this process; an escaped exception is the CLI's exit 70 with its trace. */
export async function synthInProcess(file: string, extra: string[] = []): Promise<Outcome> {
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: (text: string) => void (stdout += text),
    stderr: (text: string) => void (stderr += text),
  };
  try {
    const status = await runSynth(["--config-file", path.resolve(CORPUS, file), ...extra], io);
    return { status, stdout, stderr };
  } catch (error) {
    return {
      status: 70,
      stdout,
      stderr: stderr + (error instanceof Error ? String(error.stack) : String(error)),
    };
  }
}

export const STACK_TRACE = /\n\s+at .+\(?.*:\d+:\d+\)?/;

/** Why `outcome` is not what the manifest expects, or undefined when it is. */
export function mismatch(c: CorpusCase, outcome: Outcome): string | undefined {
  const output = outcome.stdout + outcome.stderr;
  if (output.includes(manifest.marker)) return "printed a marker secret value";
  if (STACK_TRACE.test(output)) return `printed a stack trace (exit ${outcome.status})`;
  if (c.expect === "accepted") {
    if (outcome.status !== 0) return `refused (exit ${outcome.status}): ${outcome.stderr.slice(0, 600)}`;
    if (!outcome.stdout.startsWith("Stack ")) return "printed no resource tree";
    if (c.stdout && !outcome.stdout.includes(c.stdout)) return `output lacks ${c.stdout}`;
    return undefined;
  }
  if (outcome.status !== 1) return `exit ${outcome.status}, expected 1: ${outcome.stderr.slice(0, 600)}`;
  if (outcome.stdout !== "") return "printed a plan for a refused file";
  if (!(c.fields ?? []).some((f) => outcome.stderr.includes(f)))
    return `stderr names none of ${JSON.stringify(c.fields)}: ${outcome.stderr.slice(0, 600)}`;
  return undefined;
}
