/**
 * Runs CrossGuard policy objects offline, handing them what the Pulumi engine and @pulumi/policy's
 * analyzer server (server.ts, deserialize.ts in @pulumi/policy 1.21) would:
 *
 * - per resource, in registration order: first the remediations whose level is `remediate`, with
 *   props deserialized keeping secrets (`Secret` instances behind the secrets-preserving proxy);
 *   a returned object replaces the inputs; then the validations, with props fully unwrapped
 *   (validations cannot see secretness) and a `remediate` level reported as `mandatory`;
 * - once for the stack: the stack validations over every resource's outputs, with parent,
 *   dependencies and property dependencies linked;
 * - the effective level is the policy config's, else the policy's, else the pack's; `disabled`
 *   skips; `getConfig()` returns the policy's config without `enforcementLevel`.
 *
 * Inputs and outputs arrive in wire form: secrets as `{ [SECRET_SIG_KEY]: SECRET_SIG, value }`.
 */
import {
  EnforcementLevel,
  Policy,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Secret,
  StackValidationArgs,
  StackValidationPolicy,
  UnknownValueError,
  unknownCheckingProxy,
} from "@pulumi/policy";
import { secretsPreservingProxy } from "@pulumi/policy/secret";
import { RecordedResource, SECRET_SIG, SECRET_SIG_KEY, isSecretValue } from "../synth/mockRuntime";

/** A recorded resource as the engine hands it to analyzers: inputs in wire form (secrets wrapped). */
export type AnalyzedResource = Pick<
  RecordedResource,
  "urn" | "type" | "name" | "parent" | "custom" | "inputs" | "protect"
>;

/** Per-policy config as Pulumi's policy config JSON has it once `all` is expanded. */
export type PolicyConfigMap = Record<string, { enforcementLevel?: EnforcementLevel; [key: string]: unknown }>;

export interface Violation {
  policy: string;
  enforcementLevel: EnforcementLevel;
  message: string;
  urn?: string;
}

export interface Remediation {
  policy: string;
  urn: string;
  /** What changed, by property path (`stringData: marked secret`). */
  changes: string[];
}

export interface NotApplicable {
  policy: string;
  reason?: string;
  urn?: string;
}

export interface Analysis {
  violations: Violation[];
  remediations: Remediation[];
  notApplicable: NotApplicable[];
}

export interface AnalyzeOptions {
  policies: readonly Policy[];
  config?: PolicyConfigMap;
  /** The pack-level default (`PolicyPack` args.enforcementLevel); CrossGuard's own default is advisory. */
  packEnforcementLevel?: EnforcementLevel;
  /** A resource's outputs (wire form) given its final inputs; stack policies see outputs. */
  outputsOf: (resource: AnalyzedResource, inputs: Record<string, unknown>) => Record<string, unknown>;
  /** Values (ids, ARNs) other resources use to point at this one, for property dependencies. */
  identitiesOf?: (resource: AnalyzedResource, outputs: Record<string, unknown>) => string[];
}

class NotApplicableError extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "Policy does not apply");
  }
}

const throwNotApplicable = (reason?: string): never => {
  throw new NotApplicableError(reason);
};

/** Wire form → policy form: secrets unwrapped, or kept as `Secret` when `keepSecrets`. */
export function deserialize(value: unknown, keepSecrets: boolean): unknown {
  if (isSecretValue(value)) {
    const inner = deserialize(value.value, keepSecrets);
    return keepSecrets ? new Secret(inner) : inner;
  }
  if (Array.isArray(value)) return value.map((v) => deserialize(v, keepSecrets));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deserialize(v, keepSecrets)]));
  }
  return value;
}

function deserializeProps(wire: Record<string, unknown>, keepSecrets: boolean): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(wire)) {
    // The analyzer treats properties with undefined values as absent.
    if (value !== undefined) props[key] = deserialize(value, keepSecrets);
  }
  return keepSecrets ? secretsPreservingProxy(props) : props;
}

const IS_SPECIAL_PROXY = "__isSpecialProxy";
const SPECIAL_PROXY_TARGET = "__getSpecialProxyTarget";

/** Policy form → wire form, as the analyzer serializes a remediation's result (proxies peeled, Secret wrapped). */
export function serialize(value: unknown): unknown {
  if (value === undefined || value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (record[IS_SPECIAL_PROXY] === true) return serialize(record[SPECIAL_PROXY_TARGET]);
  if (value instanceof Secret) {
    const inner = serialize(value.value);
    return { [SECRET_SIG_KEY]: SECRET_SIG, value: inner === undefined ? null : inner };
  }
  if (Array.isArray(value)) return value.map((v) => serialize(v) ?? null);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    const serialized = serialize(v);
    if (serialized !== undefined) out[k] = serialized;
  }
  return out;
}

/**
 * What the analyzer server gives a resource in both resource validations and stack validations:
 * identity, options (of which only `protect` and `parent` are recorded) and the type tests.
 */
function policyView(resource: AnalyzedResource, props: Record<string, unknown>) {
  const isType = (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === resource.type;
  return {
    type: resource.type,
    props,
    urn: resource.urn,
    name: resource.name,
    opts: {
      protect: resource.protect,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
      ...(resource.parent ? { parent: resource.parent } : {}),
    },
    isType,
    asType: (cls: unknown) => (isType(cls) ? props : undefined),
  };
}

/** Which paths a remediation changed: newly secret, or a different value. */
export function describeChanges(before: unknown, after: unknown, path = ""): string[] {
  const label = path || "(inputs)";
  if (isSecretValue(after) && !isSecretValue(before)) {
    const same = sameValue(deserialize(after.value, false), deserialize(before, false));
    return [same ? `${label}: marked secret` : `${label}: changed (now secret)`];
  }
  if (isSecretValue(before) && isSecretValue(after)) return describeChanges(before.value, after.value, path);
  const bothObjects =
    before !== null &&
    after !== null &&
    typeof before === "object" &&
    typeof after === "object" &&
    !isSecretValue(before);
  if (bothObjects && Array.isArray(before) === Array.isArray(after)) {
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    return keys.flatMap((k) =>
      describeChanges(b[k], a[k], Array.isArray(before) ? `${path}[${k}]` : path ? `${path}.${k}` : k),
    );
  }
  return sameValue(before, after) ? [] : [`${label}: changed`];
}

/** Deep equality where object key order does not matter (protobuf Structs reorder keys). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return (
    ka.length === kb.length &&
    ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

function isResourcePolicy(p: Policy): p is ResourceValidationPolicy {
  const r = p as ResourceValidationPolicy;
  return (
    typeof r.validateResource === "function" ||
    Array.isArray(r.validateResource) ||
    typeof r.remediateResource === "function"
  );
}

function isStackPolicy(p: Policy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}

/** Runs the policies over the resources; see the module comment for the order and semantics. */
export async function analyze(
  resources: readonly AnalyzedResource[],
  options: AnalyzeOptions,
): Promise<Analysis> {
  const config = options.config ?? {};
  const levelOf = (p: Policy): EnforcementLevel =>
    config[p.name]?.enforcementLevel ?? p.enforcementLevel ?? options.packEnforcementLevel ?? "advisory";
  const getConfigFor =
    (p: Policy) =>
    <T extends object>(): T => {
      const { enforcementLevel: _level, ...properties } = config[p.name] ?? {};
      return properties as T;
    };
  const result: Analysis = { violations: [], remediations: [], notApplicable: [] };
  const stackTags: ReadonlyMap<string, string> = new Map();
  const finalInputs = new Map<string, Record<string, unknown>>();

  for (const resource of resources) {
    let inputs = resource.inputs;
    const resourceArgs = (props: Record<string, unknown>, p: Policy): ResourceValidationArgs => {
      const view = policyView(resource, props);
      return {
        ...view,
        asType: view.asType as ResourceValidationArgs["asType"],
        stackTags,
        getConfig: getConfigFor(p),
        notApplicable: throwNotApplicable,
      };
    };

    for (const p of options.policies) {
      if (levelOf(p) !== "remediate" || !isResourcePolicy(p) || !p.remediateResource) continue;
      const props = unknownCheckingProxy(deserializeProps(inputs, true)) as Record<string, unknown>;
      try {
        const remediated = await p.remediateResource(resourceArgs(props, p));
        if (remediated) {
          const wire = serialize(remediated) as Record<string, unknown>;
          result.remediations.push({
            policy: p.name,
            urn: resource.urn,
            changes: describeChanges(inputs, wire),
          });
          inputs = wire;
        }
      } catch (error) {
        if (error instanceof NotApplicableError)
          result.notApplicable.push({ policy: p.name, reason: error.reason, urn: resource.urn });
        else if (error instanceof UnknownValueError)
          // The analyzer answers with a diagnostic (a warning), keeps the inputs and goes on.
          result.violations.push({
            policy: p.name,
            enforcementLevel: "advisory",
            message: `can't run remediation '${p.name}' during preview: ${(error as Error).message}`,
            urn: resource.urn,
          });
        else throw policyError(p, error);
      }
    }
    finalInputs.set(resource.urn, inputs);

    for (const p of options.policies) {
      let level = levelOf(p);
      if (level === "disabled" || !isResourcePolicy(p)) continue;
      if (!p.validateResource) {
        result.notApplicable.push({
          policy: p.name,
          reason: "Policy does not implement validateResource",
          urn: resource.urn,
        });
        continue;
      }
      if (level === "remediate") level = "mandatory";
      const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
      for (const validation of validations) {
        const props = unknownCheckingProxy(deserializeProps(inputs, false)) as Record<string, unknown>;
        const report = (message: string) =>
          result.violations.push({ policy: p.name, enforcementLevel: level, message, urn: resource.urn });
        await runGuarded(p, result, resource.urn, () => validation(resourceArgs(props, p), report));
      }
    }
  }

  const stackResources = linkStackResources(resources, finalInputs, options);
  for (const p of options.policies) {
    let level = levelOf(p);
    if (level === "disabled" || !isStackPolicy(p)) continue;
    if (level === "remediate") level = "mandatory";
    const args: StackValidationArgs = {
      resources: stackResources,
      stackTags,
      getConfig: getConfigFor(p),
      notApplicable: throwNotApplicable,
    };
    const report = (message: string, urn?: string) =>
      result.violations.push({ policy: p.name, enforcementLevel: level, message, ...(urn ? { urn } : {}) });
    await runGuarded(p, result, undefined, () => p.validateStack(args, report));
  }
  return result;
}

async function runGuarded(
  p: Policy,
  result: Analysis,
  urn: string | undefined,
  run: () => unknown,
): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof NotApplicableError) {
      result.notApplicable.push({ policy: p.name, reason: error.reason, ...(urn ? { urn } : {}) });
    } else if (error instanceof UnknownValueError) {
      result.violations.push({
        policy: p.name,
        enforcementLevel: "advisory",
        message: `can't run policy '${p.name}' during preview: ${(error as Error).message}`,
        ...(urn ? { urn } : {}),
      });
    } else {
      throw policyError(p, error);
    }
  }
}

function policyError(p: Policy, error: unknown): Error {
  return new Error(
    `policy '${p.name}' failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
}

/** Every string inside a wire value (secrets included: references may sit inside them). */
function wireStrings(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === "string") out.add(value);
  else if (Array.isArray(value)) value.forEach((v) => wireStrings(v, out));
  else if (value !== null && typeof value === "object")
    Object.values(value).forEach((v) => wireStrings(v, out));
  return out;
}

/**
 * The stack view: outputs as props, parents linked, and property dependencies rebuilt from values
 * (a property that carries another resource's id or ARN depends on it), because the offline
 * runtime does not record the engine's dependency graph.
 */
function linkStackResources(
  resources: readonly AnalyzedResource[],
  finalInputs: Map<string, Record<string, unknown>>,
  options: AnalyzeOptions,
): PolicyResource[] {
  const outputs = new Map(
    resources.map((r) => [r.urn, options.outputsOf(r, finalInputs.get(r.urn) ?? r.inputs)]),
  );
  const byIdentity = new Map<string, string>();
  for (const r of resources) {
    for (const identity of options.identitiesOf?.(r, outputs.get(r.urn)!) ?? []) {
      if (!byIdentity.has(identity)) byIdentity.set(identity, r.urn);
    }
  }
  const policyResources = new Map<string, PolicyResource>();
  for (const r of resources) {
    const props = unknownCheckingProxy(deserializeProps(outputs.get(r.urn)!, false)) as Record<
      string,
      unknown
    >;
    const view = policyView(r, props);
    policyResources.set(r.urn, {
      ...view,
      asType: view.asType as PolicyResource["asType"],
      dependencies: [],
      propertyDependencies: {},
    });
  }
  for (const r of resources) {
    const resource = policyResources.get(r.urn)!;
    if (r.parent && policyResources.has(r.parent)) resource.parent = policyResources.get(r.parent);
    const dependencies = new Set<PolicyResource>();
    for (const [key, value] of Object.entries(finalInputs.get(r.urn) ?? r.inputs)) {
      const targets = [...wireStrings(value)]
        .map((s) => byIdentity.get(s))
        .filter((urn): urn is string => urn !== undefined && urn !== r.urn)
        .map((urn) => policyResources.get(urn)!);
      if (targets.length === 0) continue;
      resource.propertyDependencies[key] = [...new Set(targets)];
      targets.forEach((t) => dependencies.add(t));
    }
    resource.dependencies = [...dependencies];
  }
  return [...policyResources.values()];
}
