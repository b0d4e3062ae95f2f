/**
 * The incident commands' report: one line per step with its outcome and how long it took, so the
 * operator (and the incident log) sees where the 15 minutes went. Failure messages pass through
 * `redact` with every credential value the command has read, whatever raised them.
 */
import { redact } from "../../components/rotation/errors";

export interface IncidentIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processIo: IncidentIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** A step that failed; the command exits non-zero after reporting it. */
export class StepFailed extends Error {}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export class StepLog {
  /** Credential values read so far: never printed, whatever an error message carries. */
  private readonly secrets = new Set<string>();
  readonly lines: string[] = [];
  failures = 0;

  constructor(
    private readonly io: IncidentIo,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Remembers a value (a password, a whole secret text) that no message may show. */
  conceal(...values: Array<string | undefined>): void {
    for (const value of values) if (value) this.secrets.add(value);
  }

  private print(line: string): void {
    const text = redact(
      line,
      [...this.secrets].sort((a, b) => b.length - a.length),
    );
    this.lines.push(text);
    this.io.stdout(`${text}\n`);
  }

  heading(text: string): void {
    this.print(text);
  }

  note(text: string): void {
    this.print(`       ${text}`);
  }

  /**
   * Runs one step: prints `ok` with what `describe` says of the result, or `FAIL` with the error's
   * message, and the time either took. A failure is rethrown as StepFailed (already reported).
   */
  async step<T>(label: string, work: () => Promise<T>, describe?: (result: T) => string): Promise<T> {
    const started = this.clock();
    try {
      const result = await work();
      const detail = describe?.(result);
      this.print(`  ok   ${label}${detail ? `: ${detail}` : ""} (${formatDuration(this.clock() - started)})`);
      return result;
    } catch (error) {
      this.failures++;
      this.print(`  FAIL ${label}: ${messageOf(error)} (${formatDuration(this.clock() - started)})`);
      throw error instanceof StepFailed ? error : new StepFailed(messageOf(error));
    }
  }
}

/** An error's message, prefixed with the SDK's error name or code when it carries one. */
export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const name = typeof code === "string" && !error.message.startsWith(code) ? code : error.name;
  return name && name !== "Error" && !error.message.startsWith(name)
    ? `${name}: ${error.message}`
    : error.message;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` every `intervalMs` until it returns a value or `timeoutMs` has passed (then undefined). */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs: number },
): Promise<T | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() >= deadline) return undefined;
    await sleep(Math.min(options.intervalMs, Math.max(0, deadline - Date.now())));
  }
}
