/**
 * The generated type fuzz: every field of every schema (the top level, the declarations and each
 * backend's block, GCP and Azure included) set to a string, a number, a boolean, null, a list, a map,
 * or removed, in a shipped stack file of that backend. Each case runs the real parse and the
 * backend's resolve (registering nothing) and must either be accepted or refused with a problem at
 * that field (or below it); a thrown error that is not a validation error is a stack trace and fails.
 */
import { z } from "zod";
import { installMocks } from "../../cli/synth/mockRuntime";
import { displayPath, schemaFields } from "../../components/core/schema";
import { BACKEND_NAMES, topLevelSchema } from "../../components/core/stackSchema";
import { backendSettingsSchemas } from "../../components/core/stackSettings";
import { SHIPPED_STACK_BY_BACKEND, parseAndResolveProblems, stackFileValues } from "../support/stackValues";

installMocks({ project: "airflow-secrets", stack: "fuzz" });

const SHIPPED = SHIPPED_STACK_BY_BACKEND;
/** Further shipped files whose blocks the single files above leave absent (AWS `accounts`). */
const SHIPPED_ALSO: Array<[string, string]> = [["aws", "stacks/examples/Pulumi.prod-multi-account.yaml"]];

const MISSING = Symbol("missing");
const WRONG_VALUES: Array<[string, unknown]> = [
  ["string", "x"],
  ["number", 7],
  ["boolean", true],
  ["null", null],
  ["list", ["x"]],
  ["map", { k: "x" }],
  ["missing", MISSING],
];

function baseOf(backend: string, file = SHIPPED[backend]): Record<string, unknown> {
  return stackFileValues(file);
}

/** Sets (or removes) the value at `segments` (`[]` means the first list item); false when the path is not there. */
function setAt(root: Record<string, unknown>, segments: string[], value: unknown): boolean {
  let parent: unknown = root;
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i];
    const next: unknown =
      segment === "[]"
        ? Array.isArray(parent) && parent.length > 0
          ? parent[0]
          : undefined
        : parent !== null && typeof parent === "object"
          ? (parent as Record<string, unknown>)[segment]
          : undefined;
    if (next === undefined || next === null || typeof next !== "object") {
      if (segments[i + 1] === "[]" || segment === "[]") return false;
      (parent as Record<string, unknown>)[segment] = {};
      parent = (parent as Record<string, unknown>)[segment];
    } else parent = next;
  }
  const last = segments[segments.length - 1];
  if (last === "[]" || parent === null || typeof parent !== "object" || Array.isArray(parent)) return false;
  if (value === MISSING) delete (parent as Record<string, unknown>)[last];
  else (parent as Record<string, unknown>)[last] = value;
  return true;
}

/** Runs the stack program's parse and the backend's resolve; returns the problems (empty: accepted). */
const run = parseAndResolveProblems;

const normalise = (p: string) => p.replace(/\[[^\]]*\]/g, "[]");

interface Case {
  backend: string;
  field: string;
  segments: string[];
  kind: string;
  value: unknown;
  schema: z.ZodType;
}

const schemas = backendSettingsSchemas();
const cases: Case[] = [];
for (const backend of BACKEND_NAMES) {
  const schema = schemas[backend];
  if (schema === undefined) continue;
  const fields = [
    ...schemaFields(topLevelSchema).map((f) => ({ ...f, full: f.path })),
    ...schemaFields(schema).map((f) => ({ ...f, full: [backend, ...f.path] })),
  ].filter((f) => !f.full.includes("*"));
  for (const field of fields)
    for (const [kind, value] of WRONG_VALUES)
      cases.push({
        backend,
        field: displayPath(field.full),
        segments: field.full,
        kind,
        value,
        schema: field.schema,
      });
}

test("every backend has a schema and the fuzz has at least 1,000 cases", () => {
  expect(Object.keys(schemas).sort()).toEqual([...BACKEND_NAMES].sort());
  expect(cases.length).toBeGreaterThanOrEqual(1000);
});

test("the shipped stack files pass, so each case's refusal is its own", () => {
  for (const backend of BACKEND_NAMES) expect(run(baseOf(backend))).toEqual([]);
  for (const [backend, file] of SHIPPED_ALSO) expect(run(baseOf(backend, file))).toEqual([]);
});

describe.each([...BACKEND_NAMES.map((b): [string, string] => [b, SHIPPED[b]]), ...SHIPPED_ALSO])(
  "%s (%s)",
  (backend, file) => {
    test("every field × every wrong type: no stack trace, refusals at the field", () => {
      const mine = cases.filter((c) => c.backend === backend);
      expect(mine.length).toBeGreaterThan(0);
      const failures: string[] = [];
      let applied = 0;
      let refused = 0;
      for (const c of mine) {
        const raw = baseOf(backend, file);
        if (!setAt(raw, c.segments, c.value)) continue;
        applied++;
        let problems: readonly { path: string; rule: string }[];
        try {
          problems = run(raw);
        } catch (error) {
          failures.push(
            `${c.field} = ${c.kind}: threw ${(error as Error).stack?.split("\n").slice(0, 2).join(" ")}`,
          );
          continue;
        }
        if (problems.length > 0) refused++;
        // A value the field's own schema accepts may be refused by a rule elsewhere (production: true).
        if (problems.length === 0 || (c.value !== MISSING && c.schema.safeParse(c.value).success)) continue;
        if (c.value === MISSING && c.schema.safeParse(undefined).success) continue;
        const field = normalise(c.field);
        const named = problems.some((p) => {
          const at = normalise(p.path);
          return at === field || at.startsWith(`${field}.`) || at.startsWith(`${field}[`);
        });
        if (!named)
          failures.push(`${c.field} = ${c.kind}: refused at ${problems.map((p) => p.path).join(", ")}`);
      }
      expect(applied).toBeGreaterThan(mine.length / 2);
      // Most wrong types must be refused: a fuzz that accepts everything proves nothing.
      expect(refused).toBeGreaterThan(applied / 2);
      if (process.env.FUZZ_COUNTS) console.log(backend, mine.length, applied, refused);
      expect(failures).toEqual([]);
    });
  },
);
