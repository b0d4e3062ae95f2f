import { AirflowResourcePolicy, readConfig } from "./lib/policy";
import { describe } from "./lib/references";
import { asArray, isRecord, jsonDocument, knownOrUndefined } from "./lib/values";

/** Names that announce a secret (`DB_PASSWORD`, `api-token`, `AIRFLOW_CONN_…`, `…FERNET_KEY`). */
const SECRET_NAME =
  /(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|fernet[_-]?key|credential|^airflow_conn_|conn(ection)?[_-]?uri|dsn)$|^airflow_conn_/i;

/** Values that are references to a secret, not the secret: ARNs, Key Vault references, `projects/…/secrets/…`, templates. */
const REFERENCE =
  /^(arn:|@Microsoft\.KeyVault\(|projects\/[^/]+\/secrets\/|secretsmanager:|ssm:|vault:|\$\{|\{\{|https:\/\/[^/]+\.vault\.azure\.net\/secrets\/)/i;

/** Values that configure how a credential is obtained rather than being one (`AzureWebJobsStorage__credential=managedidentity`). */
const SETTING_WORD = /^(managedidentity|workloadidentity|true|false|none|disabled|enabled|\d+)$/i;

/** Why a value is secret material whatever its name, or undefined. */
function secretShape(value: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^@\s/]+@/i.test(value)) return "a URI with a password";
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) return "a private key";
  if (/\b(AKIA|ASIA)[A-Z0-9]{16}\b/.test(value)) return "an AWS access key id";
  const document = jsonDocument(value);
  if (
    isRecord(document) &&
    Object.entries(document).some(
      ([k, v]) => /^(password|pass|secret|token|key)$/i.test(k) && typeof v === "string" && v !== "",
    )
  ) {
    return "a JSON document with a password";
  }
  return undefined;
}

/** The reason a `name=value` pair holds a plaintext secret, or undefined. */
export function plaintextSecret(name: string, value: unknown): string | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const shape = secretShape(value);
  if (shape) return shape;
  if (SECRET_NAME.test(name) && !REFERENCE.test(value.trim()) && !SETTING_WORD.test(value.trim()))
    return "a literal value under a secret's name";
  return undefined;
}

type Pair = { path: string; name: string; value: unknown };

const mapPairs = (value: unknown, path: string): Pair[] =>
  isRecord(value)
    ? Object.entries(value).map(([name, v]) => ({ path: `${path}.${name}`, name, value: v }))
    : [];

/** `[{name, value}]` lists (Kubernetes, Cloud Run, ECS, App Service settings). */
const listPairs = (value: unknown, path: string): Pair[] =>
  asArray(value as unknown[]).flatMap((item, i) =>
    isRecord(item) && typeof item.name === "string"
      ? [{ path: `${path}[${i}]`, name: item.name, value: item.value }]
      : [],
  );

const containers = (list: unknown, path: string, envKey: string): Pair[] =>
  asArray(list as unknown[]).flatMap((c, i) =>
    isRecord(c) ? listPairs(c[envKey], `${path}[${i}].${envKey}`) : [],
  );

const podSpec = (spec: unknown, path: string): Pair[] =>
  isRecord(spec)
    ? [
        ...containers(spec.containers, `${path}.containers`, "env"),
        ...containers(spec.initContainers, `${path}.initContainers`, "env"),
      ]
    : [];

const get = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), value);

/** Environment variables of functions and containers, by resource type. */
const ENVIRONMENT_OF: Record<string, (props: Record<string, unknown>) => Pair[]> = {
  "aws:lambda/function:Function": (p) =>
    mapPairs(get(p, "environment", "variables"), "environment.variables"),
  "aws:ecs/taskDefinition:TaskDefinition": (p) => {
    const defs = jsonDocument(p.containerDefinitions);
    return Array.isArray(defs) ? containers(defs, "containerDefinitions", "environment") : [];
  },
  "gcp:cloudfunctions/function:Function": (p) => mapPairs(p.environmentVariables, "environmentVariables"),
  "gcp:cloudfunctionsv2/function:Function": (p) =>
    mapPairs(get(p, "serviceConfig", "environmentVariables"), "serviceConfig.environmentVariables"),
  "gcp:cloudrun/service:Service": (p) =>
    containers(get(p, "template", "spec", "containers"), "template.spec.containers", "envs"),
  "gcp:cloudrunv2/service:Service": (p) =>
    containers(get(p, "template", "containers"), "template.containers", "envs"),
  "gcp:cloudrunv2/job:Job": (p) =>
    containers(get(p, "template", "template", "containers"), "template.template.containers", "envs"),
  "azure-native:web:WebApp": (p) => listPairs(get(p, "siteConfig", "appSettings"), "siteConfig.appSettings"),
  "azure-native:web:WebAppApplicationSettings": (p) => mapPairs(p.properties, "properties"),
  "azure-native:app:ContainerApp": (p) =>
    containers(get(p, "template", "containers"), "template.containers", "env"),
  "kubernetes:core/v1:Pod": (p) => podSpec(p.spec, "spec"),
  "kubernetes:apps/v1:Deployment": (p) => podSpec(get(p, "spec", "template", "spec"), "spec.template.spec"),
  "kubernetes:apps/v1:StatefulSet": (p) => podSpec(get(p, "spec", "template", "spec"), "spec.template.spec"),
  "kubernetes:apps/v1:DaemonSet": (p) => podSpec(get(p, "spec", "template", "spec"), "spec.template.spec"),
  "kubernetes:batch/v1:Job": (p) => podSpec(get(p, "spec", "template", "spec"), "spec.template.spec"),
  "kubernetes:batch/v1:CronJob": (p) =>
    podSpec(get(p, "spec", "jobTemplate", "spec", "template", "spec"), "spec.jobTemplate.spec.template.spec"),
};

const TAG_KEYS = ["tags", "labels", "userLabels"];

const configSchema = {
  properties: {
    allowedNames: {
      type: "array" as const,
      items: { type: "string" as const },
      default: [],
      description:
        "Variable or tag names that look secret but are not (e.g. TOKEN_AUDIENCE). Values are still checked for secret shapes.",
    },
  },
};

/**
 * Secrets handed to a function or container as a literal environment variable sit in the
 * function's configuration (readable by anyone who can describe it, and in Pulumi state), and
 * tag values are readable by anyone who can list resources. Values are never printed.
 */
export const noPlaintextSecretsInEnvOrTags: AirflowResourcePolicy = {
  name: "no-plaintext-secrets-in-env-or-tags",
  description:
    "No secret (password, connection URI with credentials, key, token) as a literal environment variable of a Lambda, Cloud Function, Cloud Run service, Azure Function/App Service, Container App, ECS task or Kubernetes workload, nor in any resource's tags or labels.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Keep the value in the secrets backend and pass a reference: Lambda — read it at run time from Secrets Manager (the secret's ARN " +
    "in the variable, or the Parameters and Secrets extension); Cloud Functions / Cloud Run — secretEnvironmentVariables / " +
    'valueSource.secretKeyRef; Azure Functions / App Service — an app setting of "@Microsoft.KeyVault(SecretUri=…)"; Kubernetes — ' +
    "env[].valueFrom.secretKeyRef (or the Airflow secrets backend itself); ECS — containerDefinitions[].secrets with valueFrom. " +
    "Never put secrets in tags or labels. Rotate any value that was exposed.",
  configSchema,
  resourceTypes: [...Object.keys(ENVIRONMENT_OF), "any resource's tags / labels"],
  configExample: { allowedNames: ["TOKEN_AUDIENCE"] },
  validateResource: (args, reportViolation) => {
    const { allowedNames } = readConfig<{ allowedNames: string[] }>(args, configSchema);
    const allowed = (name: string) => allowedNames.includes(name);
    const props = args.props as Record<string, unknown>;
    const environment = ENVIRONMENT_OF[args.type];
    if (environment) {
      for (const pair of environment(props)) {
        const reason = plaintextSecret(allowed(pair.name) ? "" : pair.name, pair.value);
        if (reason)
          reportViolation(
            `${describe(args)} sets environment variable ${pair.name} (${pair.path}) to a plaintext secret: ${reason}.`,
          );
      }
    }
    for (const key of TAG_KEYS) {
      for (const pair of mapPairs(
        knownOrUndefined(() => props[key]),
        key,
      )) {
        const reason = plaintextSecret(allowed(pair.name) ? "" : pair.name, pair.value);
        if (reason) reportViolation(`${describe(args)} carries a secret in ${pair.path}: ${reason}.`);
      }
    }
  },
};
