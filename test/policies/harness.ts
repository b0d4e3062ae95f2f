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

/**
 * The component a program's environment creates, carrying its settings as inputs the way
 * components/environment.ts registers it: what decides production and the environment.
 */
export function environment(
  stack: string,
  settings: { environment: string; production?: boolean; namespace?: string; serviceAccount?: string },
): Fixture {
  return {
    urn: `urn:pulumi:${stack}::airflow-secrets::airflow-secrets:index:AirflowSecretsEnvironment::${settings.environment}`,
    type: "airflow-secrets:index:AirflowSecretsEnvironment",
    name: settings.environment,
    custom: false,
    inputs: {
      environment: settings.environment,
      ...(settings.production === undefined ? {} : { production: settings.production }),
      kubernetesNamespace: settings.namespace ?? `airflow-${settings.environment}`,
      kubernetesServiceAccount: settings.serviceAccount ?? "airflow",
    },
    protect: false,
  };
}

/** Fixtures of one program's environment: the component first, then the resources. */
export function inEnvironment(
  stack: string,
  settings: { environment: string; production?: boolean; namespace?: string; serviceAccount?: string },
  resources: Fixture[],
): Fixture[] {
  return [environment(stack, settings), ...resources];
}

/**
 * Hand-written fixtures stand for the shipped program run with `environment` = the stack's name and
 * `production` left to its default (on for "prod" only): each stack without its own component gets
 * one. Fixtures that bring a component (or pass `raw`) are analysed exactly as given.
 */
export function asProgram(resources: Fixture[]): Fixture[] {
  const stacks = [...new Set(resources.map((r) => /^urn:pulumi:([^:]+)::/.exec(r.urn)![1]))];
  const covered = new Set(
    resources
      .filter((r) => r.type === "airflow-secrets:index:AirflowSecretsEnvironment")
      .map((r) => /^urn:pulumi:([^:]+)::/.exec(r.urn)![1]),
  );
  const added = stacks
    .filter((stack) => !covered.has(stack))
    .map((stack) => environment(stack, { environment: stack }));
  return [...added, ...resources];
}

export async function runPolicy(
  policy: Policy,
  fixtures: Fixture[],
  config: PolicyConfigMap = {},
  options: { raw?: boolean } = {},
): Promise<Analysis> {
  const resources = options.raw ? fixtures : asProgram(fixtures);
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
  options: { raw?: boolean } = {},
): Promise<string[]> {
  return (await runPolicy(policy, resources, config, options)).violations.map((v) => v.message);
}
