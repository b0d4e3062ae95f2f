import type { ResourceValidationArgs } from "@pulumi/policy";
import { iamStatements } from "./lib/iamPolicyDocument";
import { AirflowResourcePolicy, readConfig } from "./lib/policy";
import { environmentsOf, escapeRegExp, segmentPattern, stackOf } from "./lib/stack";
import { UNKNOWN, asArray, isRecord, known } from "./lib/values";
import { parseVaultPolicy } from "./lib/vaultPolicyDocument";

const configSchema = {
  properties: {
    readerNamePattern: {
      type: "string" as const,
      default: "(^|[^a-z])read(er|only|-only)?([^a-z]|$)",
      description:
        "Case-insensitive regular expression matched against a policy's resource name and `name` input: matching Vault policies " +
        "and AWS role policies are Airflow's readers.",
    },
    environment: {
      type: "string" as const,
      default: "",
      description:
        'Environment segment readers are confined to; empty means the stack name or its leading part ("prod" for stack "prod-gcp").',
    },
  },
};

interface ReaderConfig {
  readerNamePattern: string;
  environment: string;
}

/** Read-only AWS actions a reader may hold: Get… and Describe… on secrets and parameters, Decrypt on the key. */
function readOnlyAction(action: string): boolean {
  const [service, verb = ""] = action.toLowerCase().split(":", 2);
  if (verb === "" || verb === "*" || service === "*") return false;
  if (service === "kms") return verb === "decrypt";
  return /^(get|describe)/.test(verb);
}

/** The name part of an ARN (or a bare name) for the stores a reader reads. */
function storeNamePart(resource: string): string | undefined {
  const secret = /^arn:[^:]*:secretsmanager:[^:]*:[^:]*:secret:(.*)$/.exec(resource);
  if (secret) return secret[1];
  const parameter = /^arn:[^:]*:ssm:[^:]*:[^:]*:parameter(\/.*)$/.exec(resource);
  if (parameter) return parameter[1];
  return resource.startsWith("arn:") ? undefined : resource;
}

/** Whether the store name, up to its first wildcard, already sits under the environment's segment. */
function confinedToEnvironment(namePart: string, env: string): boolean {
  const wildcard = namePart.search(/[*?]/);
  const segment = escapeRegExp(env);
  if (wildcard === -1) return new RegExp(`(^|[/_-])${segment}([/_-]|$)`, "i").test(namePart);
  return new RegExp(`(^|[/_-])${segment}[/_-]`, "i").test(namePart.slice(0, wildcard));
}

/**
 * "Each Airflow cluster (dev/staging/prod) uses its own Vault role with the matching policy": the
 * reader identity Airflow runs as may only read, and only its own environment. Checked on Vault
 * ACL policies (HCL parsed), AWS role policies, and project-wide GCP Secret Manager grants.
 */
export const readerPolicyScoped: AirflowResourcePolicy = {
  name: "reader-policy-read-only-in-environment",
  description:
    "Airflow's reader policies only read, and only under their own environment's path ({mount}/data/{env}/… in Vault, the env prefix in AWS/GCP).",
  enforcementLevel: "mandatory",
  remediationSteps:
    'Vault: give the reader policy only `capabilities = ["read"]` on paths like "airflow/data/<env>/connections/*"; keep list, ' +
    "create, update, delete and sudo for the writer (CI) policy. AWS: allow only secretsmanager:GetSecretValue/DescribeSecret " +
    "(ssm:GetParameter*) on arn:…:secret:airflow/<env>/* and kms:Decrypt on the environment's key. GCP: grant " +
    "roles/secretmanager.secretAccessor per secret (SecretIamMember), not on the project, or add an IAM condition on the env prefix.",
  configSchema,
  validateResource: async (args, reportViolation) => {
    const config = readConfig<ReaderConfig>(args, configSchema);
    const envs = config.environment ? [config.environment] : environmentsOf(stackOf(args.urn));
    const reader = new RegExp(config.readerNamePattern, "i");
    const props = args.props;
    switch (args.type) {
      case "vault:index/policy:Policy": {
        if (
          !isReader(
            args,
            reader,
            known(() => props.name),
          )
        )
          return;
        const text = known(() => props.policy);
        if (typeof text !== "string") return;
        await checkVaultReader(args.name, text, envs, reportViolation);
        return;
      }
      case "aws:iam/rolePolicy:RolePolicy":
      case "aws:iam/policy:Policy":
        if (
          !isReader(
            args,
            reader,
            known(() => props.name),
          )
        )
          return;
        checkAwsReader(
          `"${args.name}"`,
          known(() => props.policy),
          envs,
          reportViolation,
        );
        return;
      case "aws:iam/role:Role": {
        const inline = known(() => asArray(props.inlinePolicies as unknown[]));
        if (inline === UNKNOWN) return;
        const roleIsReader = isReader(
          args,
          reader,
          known(() => props.name),
        );
        for (const policy of inline.filter(isRecord)) {
          if (roleIsReader || (typeof policy.name === "string" && reader.test(policy.name))) {
            checkAwsReader(
              `"${args.name}" inline policy "${String(policy.name ?? "")}"`,
              policy.policy,
              envs,
              reportViolation,
            );
          }
        }
        return;
      }
      case "gcp:projects/iAMMember:IAMMember":
      case "gcp:projects/iAMBinding:IAMBinding": {
        const role = known(() => props.role);
        if (typeof role !== "string" || !role.startsWith("roles/secretmanager.")) return;
        const condition = known(() => props.condition);
        const expression = isRecord(condition) ? String(condition.expression ?? "") : "";
        if (condition === UNKNOWN || envs.some((env) => segmentPattern(env).test(expression))) return;
        reportViolation(
          `"${args.name}" grants ${role} on the whole project: every environment's secrets, not only "${envs[0]}".`,
        );
        return;
      }
    }
  },
};

function isReader(args: ResourceValidationArgs, pattern: RegExp, name: unknown): boolean {
  return pattern.test(args.name) || (typeof name === "string" && pattern.test(name));
}

async function checkVaultReader(
  name: string,
  text: string,
  envs: string[],
  report: (m: string) => void,
): Promise<void> {
  let rules;
  try {
    rules = await parseVaultPolicy(text);
  } catch (error) {
    report(`Vault policy "${name}" does not parse: ${(error as Error).message}`);
    return;
  }
  const underEnvironment = new RegExp(`^[^*+]+/data/(${envs.map(escapeRegExp).join("|")})/`);
  // Database credentials (the checklist's dynamic and static DB passwords): one named role, no glob, of this environment.
  const databaseCredentials = /^[^*+]+\/(creds|static-creds)\/([^/*+]+)$/;
  for (const rule of rules) {
    const extra = rule.capabilities.filter((c) => c !== "read" && c !== "deny");
    if (extra.length > 0) {
      report(`Vault policy "${name}" grants ${extra.join(", ")} on "${rule.path}"; a reader only reads.`);
    }
    if (!rule.capabilities.includes("read") || underEnvironment.test(rule.path)) continue;
    const credentials = databaseCredentials.exec(rule.path);
    if (credentials && envs.some((env) => segmentPattern(env).test(credentials[2]))) continue;
    report(
      `Vault policy "${name}" reads "${rule.path}", outside {mount}/data/${envs[0]}/ and not a database role of "${envs[0]}".`,
    );
  }
}

function checkAwsReader(label: string, policy: unknown, envs: string[], report: (m: string) => void): void {
  if (policy === UNKNOWN) return;
  const statements = iamStatements(policy);
  if (!statements) {
    report(`Role policy ${label} is not a JSON policy document this policy can read.`);
    return;
  }
  for (const s of statements.filter((st) => st.effect === "Allow")) {
    const where = s.sid ? `statement "${s.sid}"` : "a statement";
    if (s.notActions || s.notResources) {
      report(`Role policy ${label}: ${where} uses NotAction/NotResource, which grants everything else.`);
      continue;
    }
    const writes = s.actions.filter((a) => !readOnlyAction(a));
    if (writes.length > 0)
      report(`Role policy ${label}: ${where} allows ${writes.join(", ")}; a reader only gets and describes.`);
    const storeActions = s.actions.some((a) => /^(secretsmanager|ssm):/i.test(a));
    for (const resource of s.resources) {
      if (resource === "*") {
        report(`Role policy ${label}: ${where} applies to Resource "*".`);
        continue;
      }
      if (!storeActions) continue;
      const namePart = storeNamePart(resource);
      if (namePart !== undefined && !envs.some((env) => confinedToEnvironment(namePart, env))) {
        report(
          `Role policy ${label}: ${where} reaches "${resource}", not confined to the "${envs[0]}" prefix.`,
        );
      }
    }
  }
}
