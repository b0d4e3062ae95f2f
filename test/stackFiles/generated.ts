/** Generated hostile values for every field of a backend schema (shared by the backend validation tests). */
import { z } from "zod";

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (
    current instanceof z.ZodOptional ||
    current instanceof z.ZodNullable ||
    current instanceof z.ZodDefault
  )
    current = current.unwrap() as z.ZodType;
  return current;
}

/** Dotted paths of every field of `schema` (objects recursed into; records and lists are leaves). */
export function fieldPaths(schema: z.ZodType, base: string[] = []): string[][] {
  const inner = unwrap(schema);
  if (!(inner instanceof z.ZodObject)) return [base];
  const out: string[][] = base.length > 0 ? [base] : [];
  for (const [key, field] of Object.entries(inner.shape as Record<string, z.ZodType>))
    out.push(...fieldPaths(field, [...base, key]));
  return out;
}

/** The schema of the field at `path` inside `schema` (undefined where the path leaves the objects). */
export function fieldSchemaAt(schema: z.ZodType, path: string[]): z.ZodType | undefined {
  return path.reduce<z.ZodType | undefined>((current, key) => {
    const inner = current === undefined ? undefined : unwrap(current);
    return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>)[key] : undefined;
  }, schema);
}

/** `settings` with the field at `path` set to `value` (parents created as maps). */
export function withValue(
  settings: Record<string, unknown>,
  path: string[],
  value: unknown,
): Record<string, unknown> {
  const copy = structuredClone(settings);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node[key] = next !== null && typeof next === "object" && !Array.isArray(next) ? next : {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
  return copy;
}

/** A marker that must never be printed back: every string the generator writes contains it. */
export const MARKER = "hunter2-MARKER-9f3b";

export const WRONG_VALUES: Array<[string, unknown]> = [
  ["a string", `${MARKER}`],
  ["a number", 31337],
  ["a negative fraction", -0.5],
  ["a boolean", true],
  ["null", null],
  ["a list", [MARKER, 1]],
  ["a map", { unexpected: MARKER }],
  // As a YAML or JSON parser produces it: an own `__proto__` key, not the prototype.
  ["prototype keys", JSON.parse(`{"constructor": "${MARKER}", "__proto__": {"polluted": "${MARKER}"}}`)],
];
