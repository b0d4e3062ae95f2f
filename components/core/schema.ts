/**
 * The stack-file schema kit (internal): every backend describes its settings once, as a Zod schema,
 * and this module turns Zod's issues into the project's `Problems` with field paths. Messages name
 * the field and the rule and never quote the value, so a secret typed into the wrong field is not
 * printed back.
 */
import * as pulumi from "@pulumi/pulumi";
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
  describedAt: (path: readonly PropertyKey[]) => string | undefined = () => undefined,
): string {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) {
        const about = describedAt(issue.path);
        return `is required (${EXPECTED[issue.expected] ?? issue.expected})${about ? `: ${about}` : ""}`;
      }
      if (issue.expected === "int" && typeof issue.input === "number") return "must be a whole number";
      return `must be ${EXPECTED[issue.expected] ?? issue.expected} (got ${describeReceived(issue.input)})`;
    case "unrecognized_keys": {
      const known = knownKeys(issue.path);
      return `is not a known setting${known ? ` (known: ${known.join(", ")})` : ""}`;
    }
    case "custom":
      return issue.message;
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

/** The description of the field at `path` (a missing required field is explained by it). */
function descriptionAt(schema: z.ZodType, path: readonly PropertyKey[]): string | undefined {
  let current: z.ZodType | undefined = schema;
  for (const segment of path) {
    const inner = objectOption(unwrap(current));
    if (inner instanceof z.ZodObject) current = inner.shape[String(segment)] as z.ZodType | undefined;
    else if (inner instanceof z.ZodArray) current = inner.element as z.ZodType;
    else return undefined;
    if (current === undefined) return undefined;
  }
  return current?.description ?? unwrap(current)?.description;
}

/**
 * Keys an object schema used to have, by their new path relative to it (`existingKeyArn` →
 * `existing.keyArn`): a stack file written for an earlier release gets "was renamed" instead of
 * "unknown". Register with `renamedKeys.add(objectSchema, {...})`.
 */
export const renamedKeys = z.registry<Record<string, string>>();

function renamedKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): Record<string, string> | undefined {
  const at = schemaAt(schema, path);
  for (const s of wrapperChain(at)) {
    const renames = renamedKeys.get(s);
    if (renames !== undefined) return renames;
  }
  return undefined;
}

/** The schema that describes the value at `path` (through maps, lists and records), wrapped as declared. */
function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const segment of path) {
    current = objectOption(unwrap(current));
    if (current instanceof z.ZodObject) current = current.shape[String(segment)] as z.ZodType | undefined;
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else return undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

/** Known keys of the object schema at `path`, for the "known: …" hint on a misspelt key. */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  const current = objectOption(unwrap(schemaAt(schema, path)));
  return current instanceof z.ZodObject ? Object.keys(current.shape) : undefined;
}

/**
 * A union of a map and scalars (`kubernetes: {…} | false`) describes its map by the map option: the
 * walks above and the field list below go through it.
 */
function objectOption(schema: z.ZodType | undefined): z.ZodType | undefined {
  if (!(schema instanceof z.ZodUnion)) return schema;
  const objects = (schema.options as z.ZodType[])
    .map((o) => unwrap(o))
    .filter((o) => o instanceof z.ZodObject);
  return objects.length === 1 ? objects[0] : schema;
}

/**
 * Zod reports a map that fails its option of a union (`kubernetes: {…} | false`) as one union issue
 * at the map. When exactly one option takes a map, its own issues say more: each at its field.
 */
function expandUnionIssues(issues: readonly z.core.$ZodIssue[], raw: unknown): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== "invalid_union") return [issue];
    let value: unknown = raw;
    for (const segment of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[segment];
    if (value === null || typeof value !== "object" || Array.isArray(value)) return [issue];
    // The options that took the map: none of their issues says the map itself is the wrong kind.
    const wrongKind = new Set(["invalid_type", "invalid_value", "invalid_union"]);
    const typed = issue.errors.filter(
      (option) => !option.some((i) => i.path.length === 0 && wrongKind.has(i.code)),
    );
    if (typed.length !== 1) return [issue];
    return expandUnionIssues(
      typed[0].map((i) => ({ ...i, path: [...issue.path, ...i.path] })),
      raw,
    );
  });
}

/** The schema under its optional/nullable/default/pipe wrappers. */
function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  return wrapperChain(schema).at(-1);
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
  for (const issue of expandUnionIssues(result.error.issues, raw)) {
    if (issue.code === "unrecognized_keys") {
      const renames = renamedKeysAt(schema, issue.path);
      for (const key of issue.keys)
        problems.add(
          fieldPath(base, [...issue.path, key]),
          renames !== undefined && Object.hasOwn(renames, key)
            ? `was renamed: write ${fieldPath(base, [...issue.path, ...renames[key].split(".")])} instead`
            : ruleOf(issue, (p) => knownKeysAt(schema, p)),
        );
    } else {
      problems.add(
        fieldPath(base, issue.path),
        ruleOf(
          issue,
          (p) => knownKeysAt(schema, p),
          (p) => descriptionAt(schema, p),
        ),
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

/**
 * Marks a field whose value is a secret (a password, a token): in a production stack file it must be
 * a `secure:` entry, and the published JSON Schema accepts `{secure: …}` there. Every backend marks its
 * own secret-bearing fields this way, so the plaintext check follows the schemas, not a list.
 */
export const secretFields = z.registry<{ secret: true }>();

/**
 * A string that holds a secret (see `secretFields`). Describe it here: `.describe()` returns a copy,
 * which would not carry the mark. Wrapping the result (`.optional()`) keeps it.
 */
export const secretString = (description: string) => {
  // A TypeScript caller may pass another resource's output (a generated password).
  const schema = z
    .union([z.string(), z.custom<pulumi.Output<string>>((v) => pulumi.Output.isInstance(v))], {
      error: "must be a string",
    })
    .describe(description);
  secretFields.add(schema, { secret: true });
  return schema;
};

/** A free-form map (`extra`): any keys; entries named like credentials are secrets at any depth. */
export const freeFormMap = (description: string) => {
  const schema = z.record(z.string(), z.unknown()).describe(description);
  freeFormFields.add(schema, { freeForm: true });
  return schema;
};

/** Free-form maps whose entries may hold secrets by name (`extra`): checked by key name at any depth. */
export const freeFormFields = z.registry<{ freeForm: true }>();

/** The schema and each wrapper below it (optional, nullable, default, pipe input). */
function wrapperChain(schema: z.ZodType | undefined): z.ZodType[] {
  const chain: z.ZodType[] = [];
  let current = schema;
  for (let i = 0; current && i < 10; i++) {
    chain.push(current);
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodDefault
    )
      current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else break;
  }
  return chain;
}

export const isSecretField = (schema: z.ZodType | undefined) =>
  wrapperChain(schema).some((s) => secretFields.has(s));

export const isFreeFormField = (schema: z.ZodType | undefined) =>
  wrapperChain(schema).some((s) => freeFormFields.has(s));

/** The schema below optional/nullable/default/pipe wrappers (exported for walkers and generators). */
export function innerSchema(schema: z.ZodType): z.ZodType {
  return unwrap(schema) ?? schema;
}

/** One field of a settings schema, for generated tables and generated tests. */
export interface SchemaField {
  /** Segments below the schema's root; `[]` marks a list item (`rules[].path`). */
  path: string[];
  schema: z.ZodType;
  /** The field's own schema with wrappers removed. */
  inner: z.ZodType;
  required: boolean;
  description?: string;
}

/**
 * Every field of an object schema at every depth (list items and map values included), in
 * declaration order. Drives the README tables and the type fuzz, so neither keeps its own key list.
 */
export function schemaFields(schema: z.ZodType, prefix: string[] = []): SchemaField[] {
  const out: SchemaField[] = [];
  const object = innerSchema(schema);
  if (!(object instanceof z.ZodObject)) return out;
  for (const [key, field] of Object.entries(object.shape as Record<string, z.ZodType>)) {
    const path = [...prefix, key];
    const inner = innerSchema(field);
    out.push({
      path,
      schema: field,
      inner,
      required: !field.safeParse(undefined).success,
      description: field.description ?? inner.description,
    });
    out.push(...childFields(inner, path));
  }
  return out;
}

function childFields(inner: z.ZodType, path: string[]): SchemaField[] {
  if (inner instanceof z.ZodObject) return schemaFields(inner, path);
  if (inner instanceof z.ZodUnion) {
    const option = objectOption(inner);
    if (option instanceof z.ZodObject) return schemaFields(option, path);
  }
  if (inner instanceof z.ZodArray) {
    const element = innerSchema(inner.element as z.ZodType);
    return childFields(element, [...path, "[]"]);
  }
  if (inner instanceof z.ZodRecord && !isFreeFormField(inner)) {
    const value = innerSchema(inner.valueType as z.ZodType);
    if (value instanceof z.ZodObject) return schemaFields(value, [...path, "*"]);
  }
  return [];
}

/** `a.b[].c` for a field path from `schemaFields`. */
export function displayPath(path: readonly string[]): string {
  return path.reduce(
    (out, segment) => (segment === "[]" ? `${out}[]` : out === "" ? segment : `${out}.${segment}`),
    "",
  );
}

/**
 * Copies plain maps and lists (not Outputs or other objects), so a salvage never edits the caller's
 * value; each copied list item that is a map remembers its index in `indexOf`.
 */
function copyPlain(value: unknown, indexOf?: WeakMap<object, number>): unknown {
  if (Array.isArray(value))
    return value.map((item, i) => {
      const copy = copyPlain(item, indexOf);
      if (indexOf && copy !== null && typeof copy === "object") indexOf.set(copy, i);
      return copy;
    });
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyPlain(v, indexOf)]));
  return value;
}

/**
 * A problem path over the salvaged value (`base.roles[1].name`) with each list index put back to the
 * item's index in the stack file (removed items shift the rest).
 */
function originalPath(path: string, base: string, value: unknown, indexOf: WeakMap<object, number>): string {
  if (!(path === base || path.startsWith(`${base}.`) || path.startsWith(`${base}[`))) return path;
  let out = base;
  let position = base.length;
  let current: unknown = value;
  const token = /\.([^.[\]]+)|\[([^\]]*)\]/y;
  for (;;) {
    token.lastIndex = position;
    const match = token.exec(path);
    if (match === null) break;
    position = token.lastIndex;
    const container = current !== null && typeof current === "object" ? current : undefined;
    if (match[1] !== undefined) {
      out += `.${match[1]}`;
      current = (container as Record<string, unknown> | undefined)?.[match[1]];
    } else if (/^\d+$/.test(match[2]) && Array.isArray(container)) {
      current = container[Number(match[2])];
      const original = current !== null && typeof current === "object" ? indexOf.get(current) : undefined;
      out += `[${original ?? match[2]}]`;
    } else {
      out += `[${match[2]}]`;
      current = undefined;
    }
  }
  return out + path.slice(position);
}

const REMOVED = Symbol("removed");

/** Drops list items marked REMOVED, in place (marked first, so one pass's indices all stay valid). */
function sweep(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = value.length - 1; i >= 0; i--) if (value[i] === REMOVED) value.splice(i, 1);
    value.forEach(sweep);
  } else if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype)
    Object.values(value).forEach(sweep);
  return value;
}

function removeAt(root: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return false;
  let parent: unknown = root;
  for (const segment of path.slice(0, -1)) {
    if (parent === null || typeof parent !== "object") return false;
    parent = (parent as Record<PropertyKey, unknown>)[segment as string];
  }
  if (parent === null || typeof parent !== "object") return false;
  const last = path[path.length - 1];
  if (Array.isArray(parent) && typeof last === "number") parent[last] = REMOVED;
  else delete (parent as Record<PropertyKey, unknown>)[last as string];
  return true;
}

/** What `parseSettingsSalvaging` found. */
export interface SalvagedSettings<T> {
  /** True when the settings parsed with no problem. */
  ok: boolean;
  /**
   * The settings, or when they did not parse, what is left after removing every bad part (top-level
   * required fields may then be missing): enough to check the rest, never to deploy.
   */
  value: T | undefined;
  /**
   * Adds `ruleProblems` to `problems`, except those at or under a field that already has a shape
   * problem (a removed part would otherwise be reported again as missing).
   */
  report(ruleProblems: Problems): void;
}

/**
 * Like `parseSettings`, but when the shape is wrong it still returns what can be checked, so one run
 * reports the typo and the rules broken elsewhere: the bad parts are removed (a list item becomes a
 * hole, a required field's parent map is dropped) and the rest parsed again with the top-level fields
 * optional.
 */
export function parseSettingsSalvaging<S extends z.ZodObject>(
  schema: S,
  raw: unknown,
  base: string,
  problems: Problems,
): SalvagedSettings<z.output<S>> {
  const shapeProblems = new Problems();
  const parsed = parseSettings(schema, raw, base, shapeProblems);
  problems.merge(shapeProblems);
  const shadowed = shapeProblems.list.map((p) => p.path);
  const indexOf = new WeakMap<object, number>();
  let salvaged: unknown;
  const report = (ruleProblems: Problems) => {
    for (const p of ruleProblems.list) {
      const path = salvaged === undefined ? p.path : originalPath(p.path, base, salvaged, indexOf);
      const under = shadowed.some((s) => path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`));
      if (!under) problems.add(path, p.rule);
    }
  };
  if (parsed !== undefined) return { ok: true, value: parsed, report };
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    return { ok: false, value: undefined, report };
  const lenient = schema.partial();
  let value = copyPlain(raw, indexOf);
  for (let attempt = 0; attempt < 20; attempt++) {
    // reportInput: a wrong type must not read as a missing field (which would drop its whole parent).
    const result = lenient.safeParse(value, { reportInput: true });
    if (result.success) {
      salvaged = value;
      return { ok: false, value: result.data as z.output<S>, report };
    }
    let removed = false;
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) removed = removeAt(value, [...issue.path, key]) || removed;
      } else {
        // A missing required field: drop the map (or list item) that needs it.
        const missing = issue.code === "invalid_type" && issue.input === undefined;
        removed = removeAt(value, missing ? issue.path.slice(0, -1) : issue.path) || removed;
      }
    }
    if (!removed) break;
    value = sweep(value);
  }
  return { ok: false, value: undefined, report };
}
