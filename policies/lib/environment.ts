/**
 * Which environment a resource belongs to and whether it is production, decided the way the
 * program decides it: the `AirflowSecretsEnvironment` component records its `environment` and
 * `production` settings (from the stack's `airflow-secrets:environment` / `airflow-secrets:production`
 * config) as its inputs, and `isProduction` from components/core/production.ts turns them into the
 * verdict. Stack, file, resource and policy names decide nothing.
 *
 * Resources a user adds beside the component in the same program belong to the stack's
 * environment(s). A program with no component (raw resources only) is production only when the
 * pack's config names its stack in `productionStacks`; its environment comes from `stackEnvironments`.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { isProduction } from "../../components/core/production";
import { stackOf } from "./stack";
import { isRecord, knownOrUndefined } from "./values";

export const ENVIRONMENT_COMPONENT = "airflow-secrets:index:AirflowSecretsEnvironment";

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

export interface EnvironmentContext {
  /** Environments the resource belongs to; empty when nothing says (raw resources, no `stackEnvironments` entry). */
  environments: string[];
  production: boolean;
  /** Airflow's Kubernetes service accounts, as the component was given them. */
  serviceAccounts: ServiceAccountRef[];
  /** Where the verdict came from, for messages: the component, or the pack config for raw resources. */
  source: "component" | "policy config";
}

/** Settings every environment-aware policy accepts (CrossGuard config is per policy: repeat them per policy). */
export const ENVIRONMENT_CONFIG_SCHEMA: Record<string, PolicyConfigJSONSchema> = {
  productionStacks: {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: [],
    description:
      "Stacks whose resources are production although no AirflowSecretsEnvironment component says so (programs of raw " +
      "resources). The component's own `production` setting decides for everything it creates.",
  },
  stackEnvironments: {
    type: "object",
    additionalProperties: { type: "string", minLength: 1 },
    default: {},
    description:
      "Environment of raw resources per stack, when no AirflowSecretsEnvironment component gives it: readers and writers " +
      "are confined to this environment's paths.",
  },
};

export const ENVIRONMENT_CONFIG_EXAMPLE = {
  productionStacks: ["live", "eu-prod"],
  stackEnvironments: { live: "prod", "eu-prod": "prod" },
};

export interface EnvironmentConfig {
  productionStacks: string[];
  stackEnvironments: Record<string, string>;
}

interface ComponentSettings {
  environment: string;
  production: boolean;
  serviceAccounts: ServiceAccountRef[];
}

function componentSettings(component: PolicyResource): ComponentSettings | undefined {
  const props = component.props;
  const environment = knownOrUndefined(() => props.environment);
  if (typeof environment !== "string") return undefined;
  const production = knownOrUndefined(() => props.production);
  const namespace = knownOrUndefined(() => props.kubernetesNamespace);
  // One per Airflow component (`kubernetesServiceAccounts`); components recorded before then name one.
  const list = knownOrUndefined(() => props.kubernetesServiceAccounts);
  const single = knownOrUndefined(() => props.kubernetesServiceAccount);
  const names = Array.isArray(list)
    ? list.filter((n): n is string => typeof n === "string")
    : typeof single === "string"
      ? [single]
      : [];
  return {
    environment,
    production: isProduction({
      environment,
      production: typeof production === "boolean" ? production : undefined,
    }),
    serviceAccounts: typeof namespace === "string" ? names.map((name) => ({ namespace, name })) : [],
  };
}

function fromComponents(components: ComponentSettings[]): EnvironmentContext {
  return {
    environments: [...new Set(components.map((c) => c.environment))],
    production: components.some((c) => c.production),
    serviceAccounts: components.flatMap((c) => c.serviceAccounts),
    source: "component",
  };
}

/**
 * Resolves the context of each resource. The engine analyses one stack at a time; resources of
 * several stacks (tests, tools) are kept apart by the stack in their URN.
 */
export class StackEnvironments {
  private readonly byComponent = new Map<string, ComponentSettings>();
  private readonly byStack = new Map<string, EnvironmentContext>();

  constructor(
    readonly resources: readonly PolicyResource[],
    private readonly config: EnvironmentConfig,
  ) {
    const componentsByStack = new Map<string, ComponentSettings[]>();
    for (const r of resources) {
      if (r.type !== ENVIRONMENT_COMPONENT) continue;
      const settings = componentSettings(r);
      if (!settings) continue;
      this.byComponent.set(r.urn, settings);
      const stack = stackOf(r.urn);
      componentsByStack.set(stack, [...(componentsByStack.get(stack) ?? []), settings]);
    }
    for (const [stack, components] of componentsByStack) this.byStack.set(stack, fromComponents(components));
  }

  private stackWide(stack: string): EnvironmentContext {
    const known = this.byStack.get(stack);
    if (known) return known;
    const environments = isRecord(this.config.stackEnvironments) ? this.config.stackEnvironments : {};
    const environment = environments[stack];
    return {
      environments: typeof environment === "string" ? [environment] : [],
      production: (this.config.productionStacks ?? []).includes(stack),
      serviceAccounts: [],
      source: "policy config",
    };
  }

  /** The enclosing component's settings, else the stack's (every component of it, or the pack config). */
  of(resource: PolicyResource): EnvironmentContext {
    for (let at: PolicyResource | undefined = resource; at; at = at.parent) {
      const settings = this.byComponent.get(at.urn);
      if (settings) return fromComponents([settings]);
    }
    return this.stackWide(stackOf(resource.urn));
  }
}
