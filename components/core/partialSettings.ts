/**
 * The parts of a stack-file block that are well formed, when the whole is not. The schema reports
 * every shape problem; the cross-field rules still run over what did parse, so one synth lists a
 * typo in one block and a bad reference in another (a fix-one-rerun loop is what users hate most).
 */
import { z } from "zod";
import { Problems } from "../airflow/problems";

const FAILED = Symbol("failed");

/** Sets an own property even for keys like `__proto__`, which a plain assignment would treat as the prototype. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function partial(schema: z.ZodType, raw: unknown): unknown {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    if (raw === undefined || raw === null) return schema.safeParse(raw).success ? raw : FAILED;
    return partial(schema.unwrap() as z.ZodType, raw);
  }
  if (schema instanceof z.ZodObject && isPlainObject(raw)) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      if (!Object.prototype.hasOwnProperty.call(raw, key)) continue;
      const value = partial(field, raw[key]);
      if (value !== FAILED && value !== undefined) put(out, key, value);
    }
    return out;
  }
  if (schema instanceof z.ZodRecord && isPlainObject(raw)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) {
      const parsed = partial(schema.valueType as z.ZodType, value);
      if (parsed !== FAILED) put(out, key, parsed);
    }
    return out;
  }
  const result = schema.safeParse(raw);
  return result.success ? result.data : FAILED;
}

/**
 * `raw` reduced to the fields that satisfy their own schema (unknown keys and wrong fields dropped,
 * required fields possibly missing), or undefined when `raw` is not a map at all. Only for running
 * cross-field rules after the schema has already reported what is wrong.
 */
export function wellFormedParts<S extends z.ZodType>(
  schema: S,
  raw: unknown,
): Partial<z.output<S>> | undefined {
  const value = partial(schema, raw);
  return value === FAILED || !isPlainObject(value) ? undefined : (value as Partial<z.output<S>>);
}

/**
 * Adds the cross-field problems in `rules` to `target`, except at fields the schema already refused
 * (problems added to `target` since `before`): one field, one problem, not "must be an id" followed
 * by "is required".
 */
export function addCrossFieldProblems(target: Problems, rules: Problems, before: number): void {
  const refused = target.list.slice(before).map((p) => p.path);
  const covered = (path: string) =>
    refused.some((r) => path === r || path.startsWith(`${r}.`) || path.startsWith(`${r}[`));
  for (const problem of rules.list) if (!covered(problem.path)) target.add(problem.path, problem.rule);
}
