/**
 * The Vault backend's stack settings (`airflow-secrets:vault`) and how they become component
 * arguments, with production defaults applied. Pure: nothing here registers a resource.
 */
import { PlanArgs, Problems } from "../airflow";
import { EnvironmentContext } from "../stackBackend";
import { EnvironmentPoliciesInput, validateEnvironmentPolicies } from "./airflowPolicies";
import { VaultAuditDeviceArgs, validateAuditDeviceArgs } from "./auditDevice";
import {
  VaultCiWriterRoleArgs,
  VaultKubernetesAuthRoleArgs,
  validateCiWriterRoleArgs,
  validateKubernetesAuthRoleArgs,
} from "./authRoles";
import {
  VaultDatabaseSecretsArgs,
  databaseCredentialPaths,
  validateDatabaseSecretsArgs,
} from "./databaseSecrets";
import { DEFAULT_KV_MOUNT, VaultKvStoreArgs, kvPlanArgs, kvPrefixes, validateKvStoreArgs } from "./kvStore";
import { parseSettingsSalvaging } from "../core/schema";
import { settingsSchema } from "./schema";

export type { VaultBackendSettings, VaultBackendSettingsInput } from "./schema";

/** Everything `deploy` needs, already validated. */
export interface VaultDeploymentArgs {
  kv: VaultKvStoreArgs;
  policies: EnvironmentPoliciesInput & { namespace?: string };
  kubernetesAuth: Omit<VaultKubernetesAuthRoleArgs, "policies">;
  ciWriter?: Omit<VaultCiWriterRoleArgs, "policies">;
  database?: VaultDatabaseSecretsArgs;
  audit?: VaultAuditDeviceArgs;
  /** The contract's plan arguments (for `validatePlan`). */
  plan: PlanArgs;
}

const PREFIX = "vault";

function checkAddress(address: string, production: boolean, problems: Problems): string | undefined {
  let url: URL | undefined;
  try {
    url = typeof address === "string" ? new URL(address) : undefined;
  } catch {
    url = undefined;
  }
  const ok =
    url !== undefined &&
    (url.protocol === "https:" || url.protocol === "http:") &&
    url.pathname === "/" &&
    !url.search &&
    !url.username;
  if (
    !problems.check(
      ok,
      `${PREFIX}.address`,
      `must be Vault's URL as Airflow's pods reach it, http(s)://host[:port] with no path, query or credentials, e.g. "https://vault.internal:8200"`,
    )
  ) {
    return undefined;
  }
  if (production) {
    problems.check(
      url!.protocol === "https:",
      `${PREFIX}.address`,
      "production Vault must be reached over https",
    );
  }
  return address.replace(/\/$/, "");
}

/**
 * Checks the store's arguments; the contract's own paths (connections[…]) are reported as they are,
 * the store's get the `vault.` prefix. With `contractOnly`, the store's own problems are dropped
 * (they were already reported by the schema).
 */
function checkKvStore(kv: VaultKvStoreArgs, problems: Problems, contractOnly = false): Problems {
  const kvProblems = new Problems();
  validateKvStoreArgs(kv, kvProblems);
  for (const problem of kvProblems.list) {
    const contractPath = /^(connections|variables|config|environment|airflow)\b/.test(problem.path);
    if (contractPath) problems.add(problem.path, problem.rule);
    else if (!contractOnly) problems.add(`${PREFIX}.${problem.path}`, problem.rule);
  }
  return kvProblems;
}

/**
 * Validates `context.settings` and turns them into component arguments, adding every problem to
 * `problems` (paths start with `vault.`). Returns undefined when anything is wrong.
 */
export function resolveVaultSettings(
  context: EnvironmentContext,
  allProblems: Problems,
): VaultDeploymentArgs | undefined {
  // The shape first (types, enums, unknown keys at every depth); the rules below run on what parsed,
  // so a typo does not hide a broken rule elsewhere, and never deploy unless everything did.
  const parsed = parseSettingsSalvaging(settingsSchema, context.settings ?? {}, PREFIX, allProblems);
  const problems = new Problems();
  const env = context.environment;
  const production = context.production;
  const settings = parsed.value;
  if (settings === undefined) {
    // The declarations are still checked (default layout), so one run reports every problem.
    const kv = { environment: env, declarations: context.declarations, airflow: context.airflow, production };
    checkKvStore({ ...kv, backendKwargs: {} }, problems, true);
    parsed.report(problems);
    return undefined;
  }
  const address = checkAddress(settings.address, production, problems);

  const kubernetesAuth: Omit<VaultKubernetesAuthRoleArgs, "policies"> = {
    mount: settings.kubernetesAuth?.mount,
    roleName: settings.kubernetesAuth?.roleName ?? `airflow-${env}`,
    serviceAccount: context.kubernetes?.serviceAccount,
    namespace: context.kubernetes?.namespace,
    tokenTtlSeconds: settings.kubernetesAuth?.tokenTtlSeconds,
    tokenMaxTtlSeconds: settings.kubernetesAuth?.tokenMaxTtlSeconds,
    audience: settings.kubernetesAuth?.audience,
    tokenBoundCidrs: settings.kubernetesAuth?.tokenBoundCidrs,
    vaultNamespace: settings.namespace,
  };
  // Policies are checked with the component; a placeholder name stands in for the policy output.
  validateKubernetesAuthRoleArgs(
    { ...kubernetesAuth, policies: ["reader"] },
    problems,
    `${PREFIX}.kubernetesAuth`,
  );

  const backendKwargs: Record<string, unknown> = {
    url: address,
    auth_type: "kubernetes",
    kubernetes_role: kubernetesAuth.roleName,
  };
  // hvac's Kubernetes login defaults to the `kubernetes` mount; name it only when it differs.
  if (kubernetesAuth.mount !== undefined && kubernetesAuth.mount !== "kubernetes")
    backendKwargs.auth_mount_point = kubernetesAuth.mount;
  // Unknown kwargs reach hvac.Client: `namespace` and `verify` are its own parameters.
  if (settings.namespace !== undefined) backendKwargs.namespace = settings.namespace;
  if (settings.caCertPath !== undefined) backendKwargs.verify = settings.caCertPath;
  const jwtPath = settings.kubernetesAuth?.jwtPath;
  if (jwtPath !== undefined) backendKwargs.kubernetes_jwt_path = jwtPath;

  const kv: VaultKvStoreArgs = {
    environment: env,
    declarations: context.declarations,
    airflow: context.airflow,
    mount: settings.kv?.mount,
    existingMount: settings.kv?.existingMount === true,
    layout: settings.layout,
    maxVersions: settings.kv?.maxVersions,
    sealWrap: settings.kv?.sealWrap,
    production,
    backendKwargs,
    namespace: settings.namespace,
    owner: context.owner,
  };
  const kvProblems = checkKvStore(kv, problems);

  let database: VaultDatabaseSecretsArgs | undefined;
  if (settings.database !== undefined) {
    // The component wraps the password as a secret; a missing one is reported by its validation.
    database = {
      ...settings.database,
      environment: env,
      production,
      namespace: settings.namespace,
    };
    validateDatabaseSecretsArgs(database, problems, `${PREFIX}.database`);
  }

  const policies: EnvironmentPoliciesInput & { namespace?: string } = {
    environment: env,
    mount: kv.mount ?? DEFAULT_KV_MOUNT,
    kvPrefixes: kvPrefixes(kv),
    databaseCredentialPaths: database ? databaseCredentialPaths(database) : [],
    production,
    readerName: settings.policies?.readerName,
    writerName: settings.policies?.writerName,
    extraReaderRules: settings.policies?.extraReaderRules,
    extraWriterRules: settings.policies?.extraWriterRules,
    namespace: settings.namespace,
  };
  if (kvProblems.empty) validateEnvironmentPolicies(policies, problems, `${PREFIX}.policies`);

  let ciWriter: Omit<VaultCiWriterRoleArgs, "policies"> | undefined;
  if (settings.ciWriter !== undefined) {
    ciWriter = {
      ...settings.ciWriter,
      roleName: settings.ciWriter.roleName ?? `airflow-${env}-ci`,
      production,
      vaultNamespace: settings.namespace,
    };
    validateCiWriterRoleArgs({ ...ciWriter, policies: ["writer"] }, problems, `${PREFIX}.ciWriter`);
  }

  let audit: VaultAuditDeviceArgs | undefined;
  const { enabled, ...auditSettings } = settings.audit ?? {};
  if (enabled ?? production) {
    const type = auditSettings.type ?? "file";
    audit = {
      ...auditSettings,
      type,
      path: auditSettings.path ?? `airflow-${env}-${type}`,
      filePath:
        type === "file"
          ? (auditSettings.filePath ?? `/vault/audit/airflow-${env}.log`)
          : auditSettings.filePath,
      protect: production,
      namespace: settings.namespace,
    };
    validateAuditDeviceArgs(audit, problems, `${PREFIX}.audit`);
  }

  parsed.report(problems);
  if (!parsed.ok || !problems.empty) return undefined;
  return { kv, policies, kubernetesAuth, ciWriter, database, audit, plan: kvPlanArgs(kv) };
}
