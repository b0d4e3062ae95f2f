import { ENVIRONMENT_CONFIG_SCHEMA } from "./lib/environment";
import { AirflowStackPolicy, perResource, readConfig } from "./lib/policy";
import { segmentPattern, stackOf } from "./lib/stack";
import { stringsIn } from "./lib/values";

const configSchema = {
  properties: {
    ...ENVIRONMENT_CONFIG_SCHEMA,
    productionEnvironments: {
      type: "array" as const,
      items: { type: "string" as const, minLength: 1 },
      default: ["prod"],
      description:
        "Environment names whose segment in a value is a production reference (`airflow/prod/…`, `db.prod.internal`). Which " +
        "stacks are production is not decided here: the AirflowSecretsEnvironment's `production` setting (or productionStacks) is.",
    },
    ignoredProperties: {
      type: "array" as const,
      items: { type: "string" as const },
      default: [],
      description:
        'Property paths never inspected, e.g. "tags.costCenter" when a shared tag value happens to contain the word.',
    },
  },
};

interface ProdReferenceConfig {
  productionEnvironments: string[];
  ignoredProperties: string[];
}

/**
 * "No env separation: easy to accidentally put a prod secret in dev Airflow." A non-production
 * stack must not name a production path, prefix, ARN, host or policy: any property string with a
 * production environment as a delimited segment (`airflow/prod/…`, `airflow-prod-…`,
 * `db.prod.internal`). Values are never printed: the string may be a secret.
 */
export const noProdReferencesOutsideProd: AirflowStackPolicy = {
  name: "no-prod-references-outside-prod",
  description:
    "Non-production stacks never reference production paths, prefixes, ARNs or hosts (any name or value with a production environment segment).",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Use the stack's own environment in every path and prefix (leave layout overrides unset so the backend derives them from " +
    "`environment`), point dev/staging connections at dev/staging hosts, and reference non-production keys and roles. If the " +
    "match is a false positive (a shared tag), list the property in this policy's ignoredProperties.",
  configSchema,
  resourceTypes: ["every resource type"],
  configExample: { productionEnvironments: ["prod", "live"], ignoredProperties: ["tags.costCenter"] },
  validateStack: perResource((args, reportViolation, stack) => {
    const config = readConfig<ProdReferenceConfig>(stack, configSchema);
    if (args.context.production) return;
    const own = args.context.environments;
    const patterns = config.productionEnvironments
      .filter((env) => !own.includes(env))
      .map((env) => ({ env, re: segmentPattern(env) }));
    const ignored = (path: string) =>
      config.ignoredProperties.some(
        (p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`),
      );
    for (const { path, value } of stringsIn(args.props)) {
      if (ignored(path)) continue;
      const hit = patterns.find(({ re }) => re.test(value));
      if (hit) {
        reportViolation(
          `"${args.name}" property ${path} references the "${hit.env}" environment from ${where(args.context.environments, args.urn)}.`,
        );
      }
    }
  }),
};

/** `environment "dev"`, or the stack when no environment is known (raw resources without stackEnvironments). */
function where(environments: string[], urn: string): string {
  return environments.length > 0 ? `environment "${environments.join('", "')}"` : `stack "${stackOf(urn)}"`;
}
