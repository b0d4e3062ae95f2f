/**
 * What every policy in this pack carries besides CrossGuard's required fields, and the shared
 * configuration every policy accepts. Policies are plain objects: only `index.ts` builds the
 * PolicyPack (its constructor starts the analyzer's gRPC server).
 */
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyResource } from "@pulumi/policy";
import { EnvironmentConfig, EnvironmentContext, StackEnvironments } from "./environment";

interface Documented {
  /** Level used when policy config does not override it (`mandatory` for every rule of this pack). */
  enforcementLevel: EnforcementLevel;
  /** What to change in the stack to comply; `check` prints it under each violation. */
  remediationSteps: string;
  configSchema: PolicyConfigSchema;
  /** Resource types the policy looks at (for the generated policy reference). */
  resourceTypes: string[];
  /** A policy config entry for this policy as `--policy-pack-config` takes it (for the generated reference). */
  configExample: Record<string, unknown>;
}

export type AirflowResourcePolicy = ResourceValidationPolicy & Documented;
export type AirflowStackPolicy = StackValidationPolicy & Documented;
export type AirflowPolicy = AirflowResourcePolicy | AirflowStackPolicy;

interface ConfigSource {
  getConfig<T extends object>(): T;
}

/**
 * The policy's configuration with schema defaults filled in. The Pulumi CLI applies defaults too,
 * but a policy must not depend on it (the analyzer server hands `{}` when nothing is configured).
 */
export function readConfig<T extends object>(args: ConfigSource, schema: PolicyConfigSchema): T {
  const given = args.getConfig<Record<string, unknown>>();
  const out: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema.properties)) {
    const fallback = typeof property === "object" ? property.default : undefined;
    out[key] = given[key] !== undefined ? given[key] : structuredClone(fallback);
  }
  return out as T;
}

/** One resource as a per-resource check sees it, with the environment the program put it in. */
export interface ResourceUnderCheck {
  type: string;
  name: string;
  urn: string;
  // As CrossGuard types a resource's props: any provider's shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  props: Record<string, any>;
  protect: boolean;
  context: EnvironmentContext;
}

function stackEnvironments(args: StackValidationArgs): StackEnvironments {
  const config = args.getConfig<Partial<EnvironmentConfig>>();
  return new StackEnvironments(args.resources, {
    productionStacks: config.productionStacks ?? [],
    stackEnvironments: config.stackEnvironments ?? {},
  });
}

/**
 * A check of one resource at a time that needs the resource's environment. CrossGuard's resource
 * validations see one resource and cannot find the component that decides production, so these
 * run in the stack validation, once per resource, reporting against that resource's URN.
 */
export function perResource(
  check: (
    resource: ResourceUnderCheck,
    report: (message: string) => void,
    args: StackValidationArgs,
  ) => unknown,
): StackValidationPolicy["validateStack"] {
  return async (args, reportViolation) => {
    const environments = stackEnvironments(args);
    for (const resource of args.resources) {
      const view: ResourceUnderCheck = {
        type: resource.type,
        name: resource.name,
        urn: resource.urn,
        props: resource.props,
        protect: resource.opts.protect === true,
        context: environments.of(resource),
      };
      await check(view, (message) => reportViolation(message, resource.urn), args);
    }
  };
}

/**
 * For stack policies that apply to production only: the resources the program put in a production
 * environment; when there are none the policy is marked not applicable, which ends it.
 */
export function productionResources(args: StackValidationArgs): PolicyResource[] {
  const environments = stackEnvironments(args);
  const production = args.resources.filter((r) => environments.of(r).production);
  if (production.length === 0) {
    args.notApplicable(
      "applies to production: no AirflowSecretsEnvironment has production on and the stack is not in productionStacks",
    );
  }
  return production;
}

export { StackEnvironments, stackEnvironments };
