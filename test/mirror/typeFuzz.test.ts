/**
 * The generated type fuzz reaches the standby's settings: every field of every backend's schema, set
 * to every hostile type under `mirror.<backend>` of a shipped stack, runs the real parse and both
 * backends' resolve (registering nothing). Each case is accepted or refused with a problem at that
 * field or below, under `mirror.`; a thrown error that is not a validation error fails, and no rule
 * repeats a refused value. (test/schema/typeFuzz.test.ts covers the top level, `critical` included,
 * and `mirror` as a whole.)
 */
import { installMocks } from "../../cli/synth/mockRuntime";
import { BACKEND_NAMES } from "../../components/core/stackSchema";
import { backendSettingsSchemas } from "../../components/core/stackSettings";
import { MARKER, WRONG_VALUES, fieldPaths, fieldSchemaAt, withValue } from "../stackFiles/generated";
import { SHIPPED_STACK_BY_BACKEND, parseAndResolveProblems, stackFileValues } from "../support/stackValues";

installMocks({ project: "airflow-secrets", stack: "fuzz" });

const stackValues = (backend: string) => stackFileValues(SHIPPED_STACK_BY_BACKEND[backend]);

/** A stack whose standby is `standby` with its shipped settings (no rotation: a standby rotates nothing). */
function baseWithStandby(standby: string): Record<string, unknown> {
  const primary = standby === "vault" ? "env" : "vault";
  const settings = { ...(stackValues(standby)[standby] as Record<string, unknown>) };
  if (standby === "aws") delete settings.rotation;
  return { ...stackValues(primary), mirror: { backend: standby, [standby]: settings } };
}

const run = parseAndResolveProblems;

const normalise = (p: string) => p.replace(/\[[^\]]*\]/g, "[]");
const schemas = backendSettingsSchemas();

test("each standby's base stack is accepted, so each refusal is the case's own", () => {
  for (const standby of BACKEND_NAMES) expect(run(baseWithStandby(standby))).toEqual([]);
});

describe.each(BACKEND_NAMES.map((b) => [b]))("standby %s", (standby) => {
  test("every field × every wrong type: no stack trace, refusals under mirror at the field", () => {
    const fields = fieldPaths(schemas[standby]);
    expect(fields.length).toBeGreaterThan(0);
    const failures: string[] = [];
    let refused = 0;
    for (const field of fields)
      for (const [kind, value] of WRONG_VALUES) {
        const raw = baseWithStandby(standby);
        const mirror = raw.mirror as Record<string, unknown>;
        raw.mirror = {
          ...mirror,
          [standby]: withValue(mirror[standby] as Record<string, unknown>, field, value),
        };
        const at = `mirror.${standby}.${field.join(".")}`;
        let problems: readonly { path: string; rule: string }[];
        try {
          problems = run(raw);
        } catch (error) {
          failures.push(`${at} = ${kind}: threw ${(error as Error).message.split("\n")[0]}`);
          continue;
        }
        for (const p of problems)
          if (p.rule.includes(MARKER)) failures.push(`${at} = ${kind}: the rule repeats the value`);
        if (problems.length === 0) continue;
        refused++;
        const fieldSchema = fieldSchemaAt(schemas[standby], field);
        // A value its own field accepts may break a rule elsewhere (a cross-field rule).
        if (fieldSchema?.safeParse(value).success) continue;
        if (!problems.every((p) => p.path.startsWith("mirror")))
          failures.push(
            `${at} = ${kind}: a problem outside mirror (${problems.map((p) => p.path).join(", ")})`,
          );
        else if (
          !problems.some(
            (p) =>
              normalise(p.path) === at ||
              normalise(p.path).startsWith(`${at}.`) ||
              normalise(p.path).startsWith(`${at}[`),
          )
        )
          failures.push(`${at} = ${kind}: refused at ${problems.map((p) => p.path).join(", ")}`);
      }
    // Most wrong types must be refused: a fuzz that accepts everything proves nothing.
    expect(refused).toBeGreaterThan((fields.length * WRONG_VALUES.length) / 2);
    expect(failures).toEqual([]);
  });
});
