/**
 * Runs one policy over hand-written resource fixtures through the same CrossGuard adapter
 * `airflow-secrets check` uses. Fixtures are written the way the engine sends them: inputs in wire
 * form, secrets wrapped, unknown values as the engine's sentinels.
 */
import type { Policy } from "@pulumi/policy";
import { AnalyzedResource, Analysis, PolicyConfigMap, analyze } from "../../cli/check/crossguard";
import { SECRET_SIG, SECRET_SIG_KEY } from "../../cli/synth/mockRuntime";

export const secret = (value: unknown) => ({ [SECRET_SIG_KEY]: SECRET_SIG, value });

/** What the engine sends for a string not known until apply (`pulumi preview` of a new dependency). */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface Fixture extends AnalyzedResource {
  /** Outputs the provider adds (ARN, id) for stack policies. */
  computed?: Record<string, unknown>;
}

/**
 * A resource of `stack`. `parents` are the component types enclosing it (the URN's type chain),
 * e.g. `["airflow-secrets:fernet:FernetKey"]`.
 */
export function resource(
  stack: string,
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  options: { protect?: boolean; parents?: string[]; computed?: Record<string, unknown> } = {},
): Fixture {
  const chain = [...(options.parents ?? []), type].join("$");
  return {
    urn: `urn:pulumi:${stack}::airflow-secrets::${chain}::${name}`,
    type,
    name,
    custom: true,
    inputs,
    protect: options.protect ?? false,
    computed: options.computed,
  };
}

export async function runPolicy(
  policy: Policy,
  resources: Fixture[],
  config: PolicyConfigMap = {},
): Promise<Analysis> {
  return analyze(resources, {
    policies: [policy],
    config,
    packEnforcementLevel: "mandatory",
    outputsOf: (r, inputs) => ({ ...inputs, id: `${r.name}-id`, ...((r as Fixture).computed ?? {}) }),
    identitiesOf: (r, outputs) =>
      [
        `${r.name}-id`,
        ...Object.values((r as Fixture).computed ?? {}).filter((v): v is string => typeof v === "string"),
      ].concat(typeof outputs.arn === "string" ? [outputs.arn] : []),
  });
}

/** The violation messages a policy reports for the fixtures. */
export async function violations(
  policy: Policy,
  resources: Fixture[],
  config: PolicyConfigMap = {},
): Promise<string[]> {
  return (await runPolicy(policy, resources, config)).violations.map((v) => v.message);
}
