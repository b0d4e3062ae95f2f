/**
 * The generated type fuzz reaches the standby's settings: every field of every backend's schema, set
 * to every hostile type under `mirror.<backend>` of a shipped stack, runs the real parse and both
 * backends' resolve (registering nothing). Each case is accepted or refused with a problem at that
 * field or below, under `mirror.`; a thrown error that is not a validation error fails, and no rule
 * repeats a refused value. (test/schema/typeFuzz.test.ts covers the top level, `critical` included,
 * and `mirror` as a whole.)
 */
import * as path from "path";
import { z } from "zod";
import { installMocks } from "../../cli/synth/mockRuntime";
import { readYamlFile } from "../../cli/synth/stackFile";
import { Problems, ValidationError } from "../../components/airflow";
import { BACKEND_NAMES } from "../../components/core/stackSchema";
import { backendSettingsSchemas } from "../../components/core/stackSettings";
import { prepareEnvironment } from "../../components/environment";
import { environmentArgsFromValues } from "../../stacks/config";
import { MARKER, WRONG_VALUES, fieldPaths, withValue } from "../stackFiles/generated";
import { REPO } from "../support/shippedStacks";

installMocks({ project: "airflow-secrets", stack: "fuzz" });

const SHIPPED: Record<string, string> = {
  env: "stacks/Pulumi.dev.yaml",
  vault: "stacks/Pulumi.staging.yaml",
  aws: "stacks/Pulumi.prod.yaml",
  gcp: "stacks/examples/Pulumi.prod-gcp.yaml",
  azure: "stacks/examples/Pulumi.prod-azure.yaml",
};

function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object")
    return "secure" in value
      ? "[secret]"
      : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

function stackValues(backend: string): Record<string, unknown> {
  const document = readYamlFile(path.join(REPO, SHIPPED[backend])) as { config: Record<string, unknown> };
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document.config))
    if (key.startsWith("airflow-secrets:")) raw[key.slice("airflow-secrets:".length)] = plain(value);
  return raw;
}

/** A stack whose standby is `standby` with its shipped settings (no rotation: a standby rotates nothing). */
function baseWithStandby(standby: string): Record<string, unknown> {
  const primary = standby === "vault" ? "env" : "vault";
  const settings = { ...(stackValues(standby)[standby] as Record<string, unknown>) };
  if (standby === "aws") delete settings.rotation;
  return { ...stackValues(primary), mirror: { backend: standby, [standby]: settings } };
}

function run(raw: Record<string, unknown>): readonly { path: string; rule: string }[] {
  let args;
  try {
    args = environmentArgsFromValues(raw);
  } catch (error) {
    if (error instanceof ValidationError) return error.problems;
    throw error;
  }
  const problems = new Problems();
  prepareEnvironment(args, problems);
  return problems.list;
}

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
        const fieldSchema = field.reduce<z.ZodType | undefined>((schema, key) => {
          let inner = schema;
          while (
            inner instanceof z.ZodOptional ||
            inner instanceof z.ZodNullable ||
            inner instanceof z.ZodDefault
          )
            inner = inner.unwrap() as z.ZodType;
          return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>)[key] : undefined;
        }, schemas[standby]);
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
