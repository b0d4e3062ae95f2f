/**
 * Validation problems are collected, never thrown one at a time: a reviewer fixing a stack file wants
 * every mistake in one run, and nothing may be registered while any problem remains.
 */
export interface Problem {
  /** Where the bad value sits, e.g. `connections[2].port` or `connections[warehouse].password`. */
  readonly path: string;
  /** The rule that was broken, phrased so the fix is obvious. */
  readonly rule: string;
}

export class ValidationError extends Error {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[], subject = "Airflow secrets declaration") {
    super(
      `${subject} is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.path}: ${p.rule}`).join("\n"),
    );
    this.name = "ValidationError";
    this.problems = problems;
  }
}

/** Accumulates problems; `throwIfAny` raises one ValidationError listing all of them. */
export class Problems {
  private readonly items: Problem[] = [];

  add(path: string, rule: string): void {
    // Two layers may check the same rule (the environment and its backend): report it once.
    if (this.items.some((p) => p.path === path && p.rule === rule)) return;
    this.items.push({ path, rule });
  }

  /**
   * Records a problem unless `ok`; returns `ok` so callers can skip dependent checks. A rule given
   * as a function is built only on failure (checks run per declaration, thousands per synth).
   */
  check(ok: boolean, path: string, rule: string | (() => string)): boolean {
    if (!ok) this.add(path, typeof rule === "function" ? rule() : rule);
    return ok;
  }

  merge(other: Problems): void {
    this.items.push(...other.items);
  }

  get list(): readonly Problem[] {
    return this.items;
  }

  get empty(): boolean {
    return this.items.length === 0;
  }

  throwIfAny(subject?: string): void {
    if (this.items.length > 0) throw new ValidationError(this.items, subject);
  }
}

/**
 * Records every key of `value` (an object) that is not in `known`: a misspelt setting would
 * otherwise be ignored silently, and a misspelt list name would plan an empty list and delete
 * every secret already deployed.
 */
export function checkKnownKeys(
  value: unknown,
  known: readonly string[],
  path: string,
  problems: Problems,
): void {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return;
  for (const key of Object.keys(value)) {
    if (!known.includes(key))
      problems.add(`${path}.${key}`, `is not a known setting (known: ${known.join(", ")})`);
  }
}

/** Validates with a fresh collector and throws if anything was found. */
export function validateOrThrow(subject: string, fill: (problems: Problems) => void): void {
  const problems = new Problems();
  fill(problems);
  problems.throwIfAny(subject);
}
