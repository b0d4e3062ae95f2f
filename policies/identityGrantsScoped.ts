import type { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import { ENVIRONMENT_CONFIG_SCHEMA, EnvironmentContext } from "./lib/environment";
import { decide } from "./lib/iamEvaluator";
import { iamStatements } from "./lib/iamPolicyDocument";
import { Binding, bindings, bindsAirflow } from "./lib/identities";
import { AirflowStackPolicy, stackEnvironments } from "./lib/policy";
import { describe, identities, references } from "./lib/references";
import { escapeRegExp, segmentPattern } from "./lib/stack";
import { asArray, isRecord, knownOrUndefined } from "./lib/values";
import { VaultPathRule, parseVaultPolicy } from "./lib/vaultPolicyDocument";

type Report = (message: string, urn?: string) => void;

/** Who a principal is to this policy: Airflow reads, CI writes. */
type Duty = "airflow" | "ci";

interface Principal {
  duty: Duty;
  resource: PolicyResource;
  context: EnvironmentContext;
}

const WHO: Record<Duty, string> = { airflow: "Airflow's identity", ci: "the CI writer" };

/** AWS actions that change a stored value or its protection. */
const AWS_WRITE_ACTIONS = [
  "secretsmanager:PutSecretValue",
  "secretsmanager:CreateSecret",
  "secretsmanager:UpdateSecret",
  "secretsmanager:DeleteSecret",
  "secretsmanager:RestoreSecret",
  "secretsmanager:PutResourcePolicy",
  "secretsmanager:DeleteResourcePolicy",
  "secretsmanager:UpdateSecretVersionStage",
  "secretsmanager:RotateSecret",
  "secretsmanager:TagResource",
  "ssm:PutParameter",
  "ssm:DeleteParameter",
  "ssm:DeleteParameters",
  "ssm:LabelParameterVersion",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:ScheduleKeyDeletion",
  "kms:PutKeyPolicy",
];
/** AWS actions that return a stored value (or decrypt one). */
const AWS_READ_ACTIONS = [
  "secretsmanager:GetSecretValue",
  "secretsmanager:BatchGetSecretValue",
  "ssm:GetParameter",
  "ssm:GetParameters",
  "ssm:GetParametersByPath",
  "ssm:GetParameterHistory",
  "kms:Decrypt",
];

/** GCP roles that only read values (Airflow) and roles that can read values (never CI). */
const GCP_READ_ONLY_ROLES = ["roles/secretmanager.secretAccessor", "roles/secretmanager.viewer"];
const GCP_VALUE_READING_ROLES = [
  "roles/secretmanager.secretAccessor",
  "roles/secretmanager.admin",
  "roles/owner",
  "roles/editor",
];

/** Built-in Azure roles by id: whether they read secret values and whether they change anything. */
const AZURE_BUILT_IN: Record<string, { name: string; reads: boolean; writes: boolean }> = {
  "4633458b-17de-408a-b874-0445c86b69e6": { name: "Key Vault Secrets User", reads: true, writes: false },
  "21090545-7ca7-4776-b22c-e363c3df7e78": { name: "Key Vault Reader", reads: false, writes: false },
  "acdd72a7-3c88-442b-9d37-6aeb05fdf3d4": { name: "Reader", reads: false, writes: false },
  "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": { name: "Key Vault Secrets Officer", reads: true, writes: true },
  "00482a5a-887f-4fb3-b363-3b7fe8e74483": { name: "Key Vault Administrator", reads: true, writes: true },
  "f25e0fa2-a7c8-4377-a976-54943a77a395": { name: "Key Vault Contributor", reads: false, writes: true },
  "b24988ac-6180-42a0-ab88-20f7382dd24c": { name: "Contributor", reads: false, writes: true },
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": { name: "Owner", reads: false, writes: true },
};

const configSchema = { properties: { ...ENVIRONMENT_CONFIG_SCHEMA } };

/**
 * "Each Airflow cluster (dev/staging/prod) uses its own Vault role with the matching policy": the
 * identities Airflow runs as may only read, and only their environment's secrets; the CI writer may
 * write but never read. Principals are found by what they are bound to (lib/identities.ts) and
 * judged by everything attached to them, whatever anything is called.
 */
export const identityGrantsScoped: AirflowStackPolicy = {
  name: "identity-grants-scoped",
  description:
    "What Airflow's identities may do (Vault policies on its Kubernetes auth role, IAM policies on its IRSA role and on every role it may assume, GCP bindings of its Workload Identity service account, Azure role assignments and access policies of its federated identity) is read-only and inside its environment; the CI writer never reads; no Vault policy lists everything.",
  enforcementLevel: "mandatory",
  remediationSteps:
    'Vault: give Airflow\'s Kubernetes auth role only policies with `capabilities = ["read"]` on "<mount>/data/<env>/…" (and ' +
    '"database/creds/<env role>"); keep create/update/delete for the CI role\'s policy, which must not read; never grant list on "*". ' +
    "AWS: the IRSA role's inline and attached policies allow only secretsmanager:GetSecretValue/DescribeSecret (ssm:GetParameter*) " +
    "on arn:…:secret:<prefix>/<env>/* and kms:Decrypt (across accounts: the IRSA role only sts:AssumeRole on its own " +
    "environment's reader by exact ARN, and the reader those reads); the CI role denies GetSecretValue and kms:Decrypt. GCP: grant " +
    "roles/secretmanager.secretAccessor per secret of the environment (or on the project with a condition on the env prefix) " +
    "and only roles/secretmanager.secretVersionAdder to CI. Azure: assign Key Vault Secrets User on the environment's vault (not " +
    "the subscription or resource group) and a custom role without getSecret to CI; access policies give Airflow get/list only.",
  configSchema,
  resourceTypes: [
    "vault:kubernetes/authBackendRole:AuthBackendRole",
    "vault:jwt/authBackendRole:AuthBackendRole",
    "vault:index/policy:Policy",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policy:Policy",
    "gcp:serviceaccount/iAMMember:IAMMember",
    "gcp:projects/iAMMember:IAMMember",
    "gcp:secretmanager/secretIamMember:SecretIamMember",
    "azure-native:managedidentity:FederatedIdentityCredential",
    "azure-native:authorization:RoleAssignment",
    "azure-native:keyvault:Vault (accessPolicies)",
  ],
  configExample: { productionStacks: ["live"], stackEnvironments: { live: "prod" } },
  validateStack: async (args, reportViolation) => {
    const resources = args.resources;
    const environments = stackEnvironments(args);
    const principals = new Map<string, Principal>();
    for (const binding of bindings(resources)) {
      const context = environments.of(binding.principal);
      const duty = dutyOf(binding, context);
      if (duty) principals.set(binding.principal.urn, { duty, resource: binding.principal, context });
    }
    // Roles Airflow reaches by sts:AssumeRole (its reader in a secrets account) are judged once, as Airflow.
    const judged = new Set<string>();
    for (const principal of principals.values()) {
      await checkVault(principal, resources, reportViolation);
      checkAws(principal, resources, reportViolation, judged);
      checkGcp(principal, resources, environments, reportViolation);
      checkAzure(principal, resources, environments, reportViolation);
    }
    await checkListEverything(args, reportViolation);
  },
};

function dutyOf(binding: Binding, context: EnvironmentContext): Duty | undefined {
  if (binding.actor === "ci") return "ci";
  return bindsAirflow(binding, context.serviceAccounts) ? "airflow" : undefined;
}

function label(p: Principal): string {
  return `${describe(p.resource)} (${WHO[p.duty]})`;
}

const prop = (r: PolicyResource, key: string): unknown => knownOrUndefined(() => r.props[key]);

/** Vault policies are attached by their Vault name (the role's token_policies). */
async function checkVault(p: Principal, resources: readonly PolicyResource[], report: Report): Promise<void> {
  if (!p.resource.type.startsWith("vault:")) return;
  const names = [
    ...asArray(prop(p.resource, "tokenPolicies") as string[]),
    ...asArray(prop(p.resource, "policies") as string[]),
  ];
  for (const policy of resources.filter((r) => r.type === "vault:index/policy:Policy")) {
    const name = prop(policy, "name");
    if (typeof name !== "string" || !names.includes(name)) continue;
    const rules = await parsed(policy, report);
    for (const rule of rules ?? []) {
      if (p.duty === "airflow") {
        const extra = rule.capabilities.filter((c) => c !== "read" && c !== "deny");
        if (extra.length > 0)
          report(
            `${label(p)} gets ${extra.join(", ")} on "${rule.path}" from Vault policy "${name}"; Airflow only reads.`,
            p.resource.urn,
          );
        if (rule.capabilities.includes("read") && !vaultPathInEnvironment(rule.path, p.context.environments))
          report(
            `${label(p)} reads "${rule.path}" through Vault policy "${name}", outside ${envLabel(p.context)}.`,
            p.resource.urn,
          );
      } else if (
        rule.capabilities.includes("read") &&
        !rule.capabilities.includes("deny") &&
        returnsValues(rule.path)
      ) {
        report(
          `${label(p)} reads "${rule.path}" through Vault policy "${name}"; a writer never reads.`,
          p.resource.urn,
        );
      }
    }
  }
}

/** Paths whose read returns stored values (KV data, KV v1, database credentials), not metadata or auth. */
function returnsValues(path: string): boolean {
  return !/^[^*+]+\/(metadata|delete|undelete|destroy)\//.test(path) && !/^(auth|sys)\//.test(path);
}

async function parsed(policy: PolicyResource, report: Report): Promise<VaultPathRule[] | undefined> {
  const text = prop(policy, "policy");
  if (typeof text !== "string") return undefined;
  try {
    return await parseVaultPolicy(text);
  } catch (error) {
    report(`Vault policy ${describe(policy)} does not parse: ${(error as Error).message}`, policy.urn);
    return undefined;
  }
}

/** `{mount}/data/{env}/…`, or one named database role of the environment. Unknown environment: nothing is confined. */
function vaultPathInEnvironment(path: string, envs: string[]): boolean {
  if (envs.length === 0) return false;
  if (new RegExp(`^[^*+]+/data/(${envs.map(escapeRegExp).join("|")})/`).test(path)) return true;
  const credentials = /^[^*+]+\/(creds|static-creds)\/([^/*+]+)$/.exec(path);
  return credentials !== null && envs.some((env) => segmentPattern(env).test(credentials[2]));
}

function envLabel(context: EnvironmentContext): string {
  return context.environments.length > 0
    ? `the "${context.environments.join('", "')}" environment`
    : "any known environment (no AirflowSecretsEnvironment, and no stackEnvironments entry for this stack)";
}

/** Every identity policy document attached to an IAM role: inline, RolePolicy, attachments of managed policies. */
function awsDocuments(
  role: PolicyResource,
  resources: readonly PolicyResource[],
): { documents: Array<{ source: string; document: unknown }>; unreadable: string[] } {
  const roleName = prop(role, "name");
  const onRole = (r: PolicyResource) =>
    references(r, "role", role) || (typeof roleName === "string" && prop(r, "role") === roleName);
  const documents: Array<{ source: string; document: unknown }> = [];
  const unreadable: string[] = [];
  for (const inline of asArray(prop(role, "inlinePolicies") as unknown[]).filter(isRecord)) {
    documents.push({ source: `inline policy "${String(inline.name ?? "")}"`, document: inline.policy });
  }
  for (const r of resources.filter((x) => x.type === "aws:iam/rolePolicy:RolePolicy" && onRole(x))) {
    documents.push({ source: describe(r), document: prop(r, "policy") });
  }
  const attachedArns: Array<{ arn: unknown; via: PolicyResource }> = [];
  for (const r of resources.filter(
    (x) => x.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && onRole(x),
  )) {
    attachedArns.push({ arn: prop(r, "policyArn"), via: r });
  }
  for (const arn of asArray(prop(role, "managedPolicyArns") as unknown[]))
    attachedArns.push({ arn, via: role });
  const managed = resources.filter((x) => x.type === "aws:iam/policy:Policy");
  for (const { arn, via } of attachedArns) {
    const policy = managed.find(
      (m) =>
        (via !== role && references(via, "policyArn", m)) ||
        (typeof arn === "string" && identities(m).includes(arn)),
    );
    if (policy) documents.push({ source: describe(policy), document: prop(policy, "policy") });
    else unreadable.push(typeof arn === "string" ? arn : describe(via));
  }
  return { documents, unreadable };
}

/** A concrete resource a pattern stands for (wildcards filled), so the evaluator can be asked about it. */
function instance(pattern: string): string {
  return pattern.replace(/\*/g, "x").replace(/\?/g, "x");
}

/** The name part of a Secrets Manager / SSM ARN; undefined for other services. */
function storeNamePart(resource: string): string | undefined {
  const secret = /^arn:[^:]*:secretsmanager:[^:]*:[^:]*:secret:(.*)$/.exec(resource);
  if (secret) return secret[1];
  const parameter = /^arn:[^:]*:ssm:[^:]*:[^:]*:parameter(\/.*)$/.exec(resource);
  return parameter ? parameter[1] : undefined;
}

/** The store name, up to its first wildcard, already sits under the environment's segment. */
function confinedToEnvironment(namePart: string, envs: string[]): boolean {
  const wildcard = namePart.search(/[*?]/);
  const head = wildcard === -1 ? namePart : namePart.slice(0, wildcard);
  return envs.some((env) =>
    new RegExp(`(^|[/_-])${escapeRegExp(env)}([/_-]${wildcard === -1 ? "|$" : ""})`, "i").test(head),
  );
}

/** `arn:…:iam::<account>:role/<path>/<name>` → `<name>` (undefined for other ARNs). */
function roleNameOf(arn: string): string | undefined {
  return /^arn:[^:]*:iam::[^:]*:role\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
}

/**
 * Across accounts, Airflow's IRSA role only assumes its environment's reader in the secrets account
 * (`sts:AssumeRole`). Whatever it may assume is Airflow's too: a pattern that admits several roles,
 * a role named for no environment of this stack or for another (`airflow-prod-…` from dev) is a
 * finding; a role of this stack that it assumes is judged as Airflow's identity itself.
 */
function checkAssumedRoles(
  p: Principal,
  where: string,
  target: string,
  resources: readonly PolicyResource[],
  report: Report,
  judged: Set<string>,
): void {
  if (/[*?]/.test(target)) {
    report(
      `${label(p)}: ${where} may assume any role matching "${target}"; Airflow's identity assumes only its environment's reader, by exact ARN.`,
      p.resource.urn,
    );
    return;
  }
  const name = roleNameOf(target);
  if (name === undefined || !p.context.environments.some((env) => segmentPattern(env).test(name))) {
    report(
      `${label(p)}: ${where} may assume "${target}", a role outside ${envLabel(p.context)}.`,
      p.resource.urn,
    );
    return;
  }
  const roles = resources.filter((r) => r.type === "aws:iam/role:Role");
  // By ARN once known; by name at a first preview (another account's role may share a name).
  const assumed =
    roles.find((r) => identities(r).includes(target)) ?? roles.find((r) => prop(r, "name") === name);
  if (assumed === undefined || judged.has(assumed.urn)) return;
  judged.add(assumed.urn);
  checkAws({ duty: "airflow", resource: assumed, context: p.context }, resources, report, judged);
}

function checkAws(
  p: Principal,
  resources: readonly PolicyResource[],
  report: Report,
  judged: Set<string> = new Set(),
): void {
  if (p.resource.type !== "aws:iam/role:Role") return;
  const { documents, unreadable } = awsDocuments(p.resource, resources);
  for (const arn of unreadable) {
    report(
      `${label(p)} has managed policy "${arn}" attached, which this stack does not define: its grants cannot be confined to the environment.`,
      p.resource.urn,
    );
  }
  const all = documents.map((d) => d.document);
  for (const { source, document } of documents) {
    const statements = iamStatements(document);
    if (!statements) {
      report(`${label(p)}: ${source} is not a JSON policy document.`, p.resource.urn);
      continue;
    }
    for (const s of statements.filter((st) => st.effect === "Allow")) {
      const where = `${source}${s.sid ? ` statement "${s.sid}"` : ""}`;
      const targets = s.notResources ? ["*"] : s.resources;
      const probes = AWS_WRITE_ACTIONS.concat(AWS_READ_ACTIONS);
      for (const target of targets) {
        const granted = probes.filter(
          (action) =>
            decide([{ Statement: [rawStatement(s)] }], action, instance(target)) === "allowed" &&
            decide(all, action, instance(target)) === "allowed",
        );
        const writes = granted.filter((a) => AWS_WRITE_ACTIONS.includes(a));
        const reads = granted.filter((a) => AWS_READ_ACTIONS.includes(a));
        if (p.duty === "airflow" && writes.length > 0) {
          report(
            `${label(p)}: ${where} allows ${writes.join(", ")} on "${target}"; Airflow only reads.`,
            p.resource.urn,
          );
        }
        if (p.duty === "ci" && reads.length > 0) {
          report(
            `${label(p)}: ${where} allows ${reads.join(", ")} on "${target}"; a writer never reads.`,
            p.resource.urn,
          );
        }
        if (
          p.duty === "airflow" &&
          decide([{ Statement: [rawStatement(s)] }], "sts:AssumeRole", instance(target)) === "allowed" &&
          decide(all, "sts:AssumeRole", instance(target)) === "allowed"
        )
          checkAssumedRoles(p, where, target, resources, report, judged);
        const storeReads = reads.filter((a) => !a.startsWith("kms:"));
        if (p.duty === "airflow" && storeReads.length > 0) {
          const name = target === "*" ? "*" : storeNamePart(target);
          if (name !== undefined && !confinedToEnvironment(name, p.context.environments)) {
            report(
              `${label(p)}: ${where} reads "${target}", outside ${envLabel(p.context)}.`,
              p.resource.urn,
            );
          }
        }
      }
    }
  }
}

/** One statement rebuilt as a document, to ask the evaluator whether that statement alone grants the action. */
function rawStatement(s: {
  effect: string;
  actions: string[];
  notActions: boolean;
  resources: string[];
  notResources: boolean;
}): Record<string, unknown> {
  return {
    Effect: s.effect,
    [s.notActions ? "NotAction" : "Action"]: s.actions,
    [s.notResources ? "NotResource" : "Resource"]: s.resources,
  };
}

function gcpMemberOf(account: PolicyResource): string[] {
  const email = prop(account, "email");
  const member = prop(account, "member");
  return [
    ...(typeof member === "string" ? [member] : []),
    ...(typeof email === "string" ? [`serviceAccount:${email}`] : []),
  ];
}

function checkGcp(
  p: Principal,
  resources: readonly PolicyResource[],
  environments: ReturnType<typeof stackEnvironments>,
  report: Report,
): void {
  if (p.resource.type !== "gcp:serviceaccount/account:Account") return;
  const members = gcpMemberOf(p.resource);
  const grants = resources.filter((r) => {
    if (
      ![
        "gcp:projects/iAMMember:IAMMember",
        "gcp:projects/iAMBinding:IAMBinding",
        "gcp:secretmanager/secretIamMember:SecretIamMember",
        "gcp:secretmanager/secretIamBinding:SecretIamBinding",
      ].includes(r.type)
    )
      return false;
    const given = [...asArray(prop(r, "member") as string[]), ...asArray(prop(r, "members") as string[])];
    return references(r, "member", p.resource) || given.some((m) => members.includes(m));
  });
  const secrets = resources.filter((r) => r.type === "gcp:secretmanager/secret:Secret");
  for (const grant of grants) {
    const role = String(prop(grant, "role") ?? "");
    const projectWide = grant.type.startsWith("gcp:projects/");
    if (projectWide && !/^roles\/(secretmanager\.|owner$|editor$|viewer$)/.test(role)) continue;
    if (p.duty === "airflow" && !GCP_READ_ONLY_ROLES.includes(role)) {
      report(
        `${label(p)}: ${describe(grant)} grants ${role}; Airflow only reads (roles/secretmanager.secretAccessor).`,
        p.resource.urn,
      );
    }
    if (p.duty === "ci" && GCP_VALUE_READING_ROLES.includes(role)) {
      report(
        `${label(p)}: ${describe(grant)} grants ${role}, which reads secret values; a writer never reads.`,
        p.resource.urn,
      );
    }
    if (p.duty !== "airflow") continue;
    if (projectWide) {
      const condition = prop(grant, "condition");
      const expression = isRecord(condition) ? String(condition.expression ?? "") : "";
      if (!p.context.environments.some((env) => segmentPattern(env).test(expression))) {
        report(
          `${label(p)}: ${describe(grant)} grants ${role} on the whole project: every environment's secrets, not only ${envLabel(p.context)}.`,
          p.resource.urn,
        );
      }
      continue;
    }
    const secretId = prop(grant, "secretId");
    const secret = secrets.find(
      (s) =>
        references(grant, "secretId", s) ||
        (typeof secretId === "string" && identities(s).includes(secretId)),
    );
    const inEnvironment = secret
      ? environments.of(secret).environments.some((env) => p.context.environments.includes(env)) ||
        p.context.environments.some((env) => segmentPattern(env).test(String(prop(secret, "secretId") ?? "")))
      : p.context.environments.some((env) => segmentPattern(env).test(String(secretId ?? "")));
    if (!inEnvironment) {
      report(
        `${label(p)}: ${describe(grant)} grants ${role} on a secret outside ${envLabel(p.context)}.`,
        p.resource.urn,
      );
    }
  }
}

interface AzureRole {
  name: string;
  reads: boolean;
  writes: boolean;
}

function azureRole(assignment: PolicyResource, resources: readonly PolicyResource[]): AzureRole | undefined {
  const id = String(prop(assignment, "roleDefinitionId") ?? "");
  const builtIn = Object.entries(AZURE_BUILT_IN).find(([guid]) => id.toLowerCase().endsWith(guid));
  if (builtIn) return builtIn[1];
  const custom = resources.find(
    (r) =>
      r.type === "azure-native:authorization:RoleDefinition" &&
      (references(assignment, "roleDefinitionId", r) || identities(r).includes(id)),
  );
  if (!custom) return undefined;
  const permissions = asArray(prop(custom, "permissions") as unknown[]).filter(isRecord);
  const dataActions = permissions.flatMap((perm) => asArray(perm.dataActions as string[]).map(String));
  const actions = permissions.flatMap((perm) => asArray(perm.actions as string[]).map(String));
  const matches = (list: string[], action: string) =>
    list.some((a) =>
      new RegExp(`^${a.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i").test(action),
    );
  return {
    name: `custom role ${describe(custom)}`,
    reads: matches(dataActions, "Microsoft.KeyVault/vaults/secrets/getSecret/action"),
    writes:
      ["setSecret/action", "delete", "update/action"].some((a) =>
        matches(dataActions, `Microsoft.KeyVault/vaults/secrets/${a}`),
      ) ||
      matches(actions, "Microsoft.KeyVault/vaults/write") ||
      matches(actions, "Microsoft.KeyVault/vaults/accessPolicies/write"),
  };
}

function checkAzure(
  p: Principal,
  resources: readonly PolicyResource[],
  environments: ReturnType<typeof stackEnvironments>,
  report: Report,
): void {
  if (p.resource.type !== "azure-native:managedidentity:UserAssignedIdentity") return;
  const principalId = prop(p.resource, "principalId");
  const isThis = (r: PolicyResource, key: string) =>
    references(r, key, p.resource) || (typeof principalId === "string" && prop(r, key) === principalId);
  const vaults = resources.filter((r) => r.type === "azure-native:keyvault:Vault");
  for (const assignment of resources.filter(
    (r) => r.type === "azure-native:authorization:RoleAssignment" && isThis(r, "principalId"),
  )) {
    const role = azureRole(assignment, resources);
    const roleName = role?.name ?? `role "${String(prop(assignment, "roleDefinitionId") ?? "")}"`;
    if (p.duty === "airflow" && (role === undefined || role.writes)) {
      report(
        `${label(p)}: ${describe(assignment)} assigns ${roleName}${role ? ", which writes" : ", which this pack cannot evaluate"}; Airflow only reads.`,
        p.resource.urn,
      );
    }
    if (p.duty === "ci" && (role === undefined || role.reads)) {
      report(
        `${label(p)}: ${describe(assignment)} assigns ${roleName}${role ? ", which reads secret values" : ", which this pack cannot evaluate"}; a writer never reads.`,
        p.resource.urn,
      );
    }
    if (p.duty !== "airflow") continue;
    const scope = String(prop(assignment, "scope") ?? "");
    const vault = vaults.find(
      (v) =>
        references(assignment, "scope", v) ||
        identities(v).some((i) => scope === i || scope.startsWith(`${i}/`)),
    );
    const vaultName = /\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)/i.exec(scope)?.[1];
    const inEnvironment = vault
      ? environments.of(vault).environments.some((env) => p.context.environments.includes(env))
      : vaultName !== undefined && p.context.environments.some((env) => segmentPattern(env).test(vaultName));
    if (!inEnvironment) {
      report(
        `${label(p)}: ${describe(assignment)} assigns ${roleName} at scope "${scope || "(unknown)"}", ${vaultName ? "a vault" : "above any one vault"} outside ${envLabel(p.context)}.`,
        p.resource.urn,
      );
    }
  }
  for (const vault of vaults) {
    const properties = prop(vault, "properties");
    const policies = isRecord(properties)
      ? asArray(properties.accessPolicies as unknown[]).filter(isRecord)
      : [];
    for (const policy of policies) {
      if (typeof principalId !== "string" || policy.objectId !== principalId) continue;
      const permissions = isRecord(policy.permissions)
        ? asArray(policy.permissions.secrets as string[]).map((s) => String(s).toLowerCase())
        : [];
      const beyondRead = permissions.filter((s) => !["get", "list"].includes(s));
      if (p.duty === "airflow" && beyondRead.length > 0) {
        report(
          `${label(p)}: the access policy of ${describe(vault)} grants secrets ${beyondRead.join(", ")}; Airflow only reads (get, list).`,
          p.resource.urn,
        );
      }
      if (p.duty === "ci" && permissions.some((s) => s === "get" || s === "all")) {
        report(
          `${label(p)}: the access policy of ${describe(vault)} grants secrets get; a writer never reads.`,
          p.resource.urn,
        );
      }
      if (
        p.duty === "airflow" &&
        !environments.of(vault).environments.some((env) => p.context.environments.includes(env))
      ) {
        report(
          `${label(p)}: the access policy of ${describe(vault)} opens a vault outside ${envLabel(p.context)}.`,
          p.resource.urn,
        );
      }
    }
  }
}

/** `list` on a path that globs everything (`*`, `+/*`…) enumerates every secret name of every environment. */
async function checkListEverything(args: StackValidationArgs, report: Report): Promise<void> {
  for (const policy of args.resources.filter((r) => r.type === "vault:index/policy:Policy")) {
    const text = prop(policy, "policy");
    if (typeof text !== "string") continue;
    let rules: VaultPathRule[];
    try {
      rules = await parseVaultPolicy(text);
    } catch {
      continue; // reported where the policy is attached
    }
    for (const rule of rules) {
      if (rule.capabilities.includes("list") && /^[*+]/.test(rule.path)) {
        report(
          `Vault policy ${describe(policy)} grants list on "${rule.path}": every secret name of every mount and environment.`,
          policy.urn,
        );
      }
    }
  }
}
