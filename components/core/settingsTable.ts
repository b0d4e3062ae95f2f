/**
 * The README settings table of a backend, generated from its Zod schema (the same descriptions the
 * editor JSON Schema carries), so the documentation cannot drift from what synth accepts.
 */
import { z } from "zod";

function unwrap(schema: z.ZodType): { inner: z.ZodType; optional: boolean } {
  let current = schema;
  let optional = false;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault) optional = true;
    else if (!(current instanceof z.ZodNullable)) break;
    current = (current as z.ZodOptional<z.ZodType>).unwrap() as z.ZodType;
  }
  return { inner: current, optional };
}

/** A short type for the table: `string`, `integer 60–540`, `"bucket" \| "bigquery"`, `list of string`. */
export function typeSummary(schema: z.ZodType): string {
  const { inner } = unwrap(schema);
  if (inner instanceof z.ZodEnum) return inner.options.map((o) => `\`${String(o)}\``).join(" \\| ");
  if (inner instanceof z.ZodBoolean) return "boolean";
  if (inner instanceof z.ZodUnion) {
    const options = inner.options as z.ZodType[];
    // booleanSetting(): true/false, written bare or quoted.
    if (options.some((o) => o instanceof z.ZodBoolean)) return "boolean";
    return options.map(typeSummary).join(" \\| ");
  }
  if (inner instanceof z.ZodPipe) return typeSummary(inner.in as z.ZodType);
  if (inner instanceof z.ZodNumber) {
    const { minValue, maxValue, isInt } = inner;
    const kind = isInt ? "integer" : "number";
    const finite = (n: number | null) =>
      n !== null && Number.isFinite(n) && Math.abs(n) < Number.MAX_SAFE_INTEGER;
    if (finite(minValue) && finite(maxValue)) return `${kind} ${minValue}–${maxValue}`;
    if (finite(minValue)) return `${kind} ≥ ${minValue}`;
    return kind;
  }
  if (inner instanceof z.ZodString) return "string";
  if (inner instanceof z.ZodArray) return `list of ${typeSummary(inner.element as z.ZodType)}`;
  if (inner instanceof z.ZodRecord) return `map of ${typeSummary(inner.valueType as z.ZodType)}`;
  if (inner instanceof z.ZodObject) return "map";
  return "value";
}

/** Rows `key | type | description` for every field, nested maps flattened to dotted keys. */
export function settingsTable(schema: z.ZodType): string {
  const rows: string[] = ["| key | type | description |", "| --- | --- | --- |"];
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const walk = (node: z.ZodType, prefix: string) => {
    const { inner } = unwrap(node);
    if (!(inner instanceof z.ZodObject)) return;
    for (const [key, field] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
      const path = `${prefix}${key}`;
      const { inner: fieldInner, optional } = unwrap(field);
      const description = field.description ?? fieldInner.description ?? "";
      const type = typeSummary(field).replace(/\|/g, "|");
      rows.push(`| \`${path}\` | ${optional ? type : `${type}, **required**`} | ${cell(description)} |`);
      if (fieldInner instanceof z.ZodObject) walk(fieldInner, `${path}.`);
    }
  };
  walk(schema, "");
  return rows.join("\n") + "\n";
}

const BEGIN = "<!-- settings table: generated from schema.ts, do not edit -->";
const END = "<!-- end of generated settings table -->";

/** `readme` with the text between the generated-table markers replaced by `table`. */
export function withSettingsTable(readme: string, table: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error("the README has no generated settings table markers");
  return `${readme.slice(0, start + BEGIN.length)}\n\n${table}\n${readme.slice(end)}`;
}
export const SETTINGS_TABLE_MARKERS = { BEGIN, END };
