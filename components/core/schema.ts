/**
 * The stack-file schema kit (internal): every backend describes its settings once, as a Zod schema,
 * and this module turns Zod's issues into the project's `Problems` with field paths. Messages name
 * the field and the rule and never quote the value, so a secret typed into the wrong field is not
 * printed back.
 */
import { z } from "zod";
import { Problems } from "../airflow/problems";

/** `a.b[2].c` from Zod's path segments, under `base` (the key below `airflow-secrets:`). */
export function fieldPath(base: string, segments: readonly PropertyKey[]): string {
  let out = base;
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function describeReceived(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a map";
  return `a ${typeof input}`;
}

const EXPECTED: Record<string, string> = {
  object: "a map",
  array: "a list",
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "a boolean (true or false)",
  record: "a map",
};

/** The rule a Zod issue breaks, phrased for a stack-file author; never includes the value. */
function ruleOf(
  issue: z.core.$ZodIssue,
  knownKeys: (path: readonly PropertyKey[]) => string[] | undefined,
): string {
  switch (issue.code) {
    case "invalid_type":
      return `must be ${EXPECTED[issue.expected] ?? issue.expected} (got ${describeReceived(issue.input)})`;
    case "unrecognized_keys": {
      const known = knownKeys(issue.path);
      return `is not a known setting${known ? ` (known: ${known.join(", ")})` : ""}`;
    }
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return issue.origin === "string"
        ? `must be at least ${String(issue.minimum)} characters`
        : issue.origin === "array"
          ? `must have at least ${String(issue.minimum)} entries`
          : `must be ${issue.inclusive ? "at least" : "more than"} ${String(issue.minimum)}`;
    case "too_big":
      return issue.origin === "string"
        ? `must be at most ${String(issue.maximum)} characters`
        : issue.origin === "array"
          ? `must have at most ${String(issue.maximum)} entries`
          : `must be ${issue.inclusive ? "at most" : "less than"} ${String(issue.maximum)}`;
    default:
      // Custom refinements and formats carry a message written for the user (no value in it).
      return issue.message;
  }
}

/** Known keys of the object schema at `path`, for the "known: …" hint on a misspelt key. */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let current: z.ZodType | undefined = schema;
  for (const segment of path) {
    current = unwrap(current);
    if (current instanceof z.ZodObject) current = current.shape[String(segment)] as z.ZodType | undefined;
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else return undefined;
    if (current === undefined) return undefined;
  }
  current = unwrap(current);
  return current instanceof z.ZodObject ? Object.keys(current.shape) : undefined;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (let i = 0; i < 10 && current; i++) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodDefault
    )
      current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else break;
  }
  return current;
}

/**
 * Parses `raw` with `schema`; every issue becomes a problem at `base` + its path. Returns the parsed
 * (defaulted, typed) value when there were no issues.
 */
export function parseSettings<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  base: string,
  problems: Problems,
): z.output<S> | undefined {
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        problems.add(
          fieldPath(base, [...issue.path, key]),
          ruleOf(issue, (p) => knownKeysAt(schema, p)),
        );
    } else {
      problems.add(
        fieldPath(base, issue.path),
        ruleOf(issue, (p) => knownKeysAt(schema, p)),
      );
    }
  }
  return undefined;
}

/**
 * A boolean setting. Pulumi hands top-level config to programs as strings, so `production: true` and
 * `production: "true"` are the same to it; both spellings are read as the boolean they say. Anything
 * else (`yes`, `1`, `"False "`) is refused rather than read backwards.
 */
export const booleanSetting = () =>
  z.union([z.boolean(), z.enum(["true", "false"]).transform((value) => value === "true")], {
    error: "must be a boolean (true or false)",
  });
