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
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { isProduction } from "./stack";

interface Documented {
  /** Level used when policy config does not override it (`mandatory` for every rule of this pack). */
  enforcementLevel: EnforcementLevel;
  /** What to change in the stack to comply; `check` prints it under each violation. */
  remediationSteps: string;
  configSchema: PolicyConfigSchema;
}

export type AirflowResourcePolicy = ResourceValidationPolicy & Documented;
export type AirflowStackPolicy = StackValidationPolicy & Documented;
export type AirflowPolicy = AirflowResourcePolicy | AirflowStackPolicy;

/**
 * Environments that are production. A stack belongs to an environment when its name (read from
 * each resource's URN, `urn:pulumi:<stack>::…`) is the environment or starts with it and a `-`,
 * `_` or `.` (`prod`, `prod-gcp`, `prod_eu`); this library names stacks after environments, and the
 * same names are the environment segment in paths (`airflow/prod/…`).
 */
export const PRODUCTION_ENVIRONMENTS: PolicyConfigJSONSchema = {
  type: "array",
  items: { type: "string", minLength: 1 },
  default: ["prod"],
  description:
    'Environments treated as production: stacks named after them ("prod", or "prod-<suffix>") get the production-only ' +
    'rules. Add e.g. "staging" to rehearse production rules there.',
};

export interface ProductionConfig {
  productionEnvironments: string[];
}

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

/** For stack policies that apply to production only: elsewhere marks the policy not applicable, which ends it. */
export function requireProductionStack(args: StackValidationArgs, productionEnvironments: string[]): void {
  const resources = args.resources;
  if (resources.length === 0 || !isProduction(resources[0].urn, productionEnvironments)) {
    args.notApplicable(`applies to production stacks (${productionEnvironments.join(", ")})`);
  }
}
