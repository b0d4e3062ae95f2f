import { AirflowResourcePolicy, PRODUCTION_ENVIRONMENTS, readConfig } from "./lib/policy";
import { environmentsOf, isProduction, segmentPattern, stackOf } from "./lib/stack";
import { stringsIn } from "./lib/values";

const configSchema = {
  properties: {
    productionEnvironments: PRODUCTION_ENVIRONMENTS,
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
export const noProdReferencesOutsideProd: AirflowResourcePolicy = {
  name: "no-prod-references-outside-prod",
  description:
    "Non-production stacks never reference production paths, prefixes, ARNs or hosts (any name or value with a production environment segment).",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Use the stack's own environment in every path and prefix (leave layout overrides unset so the backend derives them from " +
    "`environment`), point dev/staging connections at dev/staging hosts, and reference non-production keys and roles. If the " +
    "match is a false positive (a shared tag), list the property in this policy's ignoredProperties.",
  configSchema,
  validateResource: (args, reportViolation) => {
    const config = readConfig<ProdReferenceConfig>(args, configSchema);
    if (isProduction(args.urn, config.productionEnvironments)) return;
    const stack = stackOf(args.urn);
    const own = environmentsOf(stack);
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
          `"${args.name}" property ${path} references the "${hit.env}" environment from stack "${stack}".`,
        );
      }
    }
  },
};
