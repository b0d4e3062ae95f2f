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
import {
  DEFAULT_KV_MOUNT,
  VaultKvLayout,
  VaultKvStoreArgs,
  kvPlanArgs,
  kvPrefixes,
  validateKvStoreArgs,
} from "./kvStore";
import { VaultPolicyRule } from "./policyDocument";

export interface VaultBackendSettings {
  /** Vault's address as Airflow's pods reach it (`url` kwarg), e.g. `https://vault.internal:8200`. Required; https in production. */
  address: string;
  /** Vault Enterprise namespace for every resource and for Airflow's client. */
  namespace?: string;
  /** CA bundle path inside Airflow's pods (`verify` kwarg) when Vault's certificate is privately issued. */
  caCertPath?: string;
  kv?: {
    /** KV v2 mount; default `airflow`. */
    mount?: string;
    /** The mount exists already (owned elsewhere); default false. */
    existingMount?: boolean;
    /** `max_versions`; default 10 in production, 5 elsewhere. */
    maxVersions?: number;
    /** Seal-wrap the mount's values with the seal (HSM/KMS); Vault Enterprise only. Default false. */
    sealWrap?: boolean;
  };
  /** Paths under the mount; default `{env}/connections`, `{env}/variables`, `{env}/config`. */
  layout?: VaultKvLayout;
  policies?: {
    /** Default `airflow-{env}-reader`. */
    readerName?: string;
    /** Default `airflow-{env}-writer`. */
    writerName?: string;
    extraReaderRules?: VaultPolicyRule[];
    extraWriterRules?: VaultPolicyRule[];
  };
  kubernetesAuth?: {
    /** Existing Kubernetes auth mount; default `kubernetes`. */
    mount?: string;
    /** Default `airflow-{env}`. */
    roleName?: string;
    tokenTtlSeconds?: number;
    tokenMaxTtlSeconds?: number;
    /**
     * `audience` the service account token must carry. Airflow sends the token at `jwtPath`; the
     * default token's audience is the API server's, so any other audience needs a projected token.
     */
    audience?: string;
    /**
     * Where Airflow's pods find the service account token to log in with (`kubernetes_jwt_path`
     * kwarg); default Airflow's own, `/var/run/secrets/kubernetes.io/serviceaccount/token`. Set it to
     * a projected token's path when `audience` is not the API server's.
     */
    jwtPath?: string;
    tokenBoundCidrs?: string[];
  };
  /** Optional JWT/OIDC role for the CI pipeline that writes secrets. */
  ciWriter?: VaultCiWriterSettings;
  /** Optional database secrets engine for one PostgreSQL database. */
  database?: VaultDatabaseSettings;
  /** Audit device; enabled by default in production. */
  audit?: VaultAuditSettings;
}

// These sections are the components' own arguments, passed through; the environment fills in the rest.
export type VaultCiWriterSettings = Omit<
  VaultCiWriterRoleArgs,
  "policies" | "production" | "vaultNamespace" | "provider" | "roleName"
> & {
  /** Default `airflow-{env}-ci`. */
  roleName?: string;
};
export type VaultDatabaseSettings = Omit<
  VaultDatabaseSecretsArgs,
  "environment" | "production" | "namespace" | "provider" | "password"
> & {
  /** Vault's own database user's password (a `secure:` stack value). */
  password: string;
};
export type VaultAuditSettings = Partial<
  Omit<VaultAuditDeviceArgs, "description" | "protect" | "namespace" | "provider">
> & {
  /** Default: on in production, off elsewhere. */
  enabled?: boolean;
};

const SETTING_KEYS: Record<string, readonly string[]> = {
  "": [
    "address",
    "namespace",
    "caCertPath",
    "kv",
    "layout",
    "policies",
    "kubernetesAuth",
    "ciWriter",
    "database",
    "audit",
  ],
  kv: ["mount", "existingMount", "maxVersions", "sealWrap"],
  layout: ["connectionsPath", "variablesPath", "configPath"],
  policies: ["readerName", "writerName", "extraReaderRules", "extraWriterRules"],
  kubernetesAuth: [
    "mount",
    "roleName",
    "tokenTtlSeconds",
    "tokenMaxTtlSeconds",
    "audience",
    "jwtPath",
    "tokenBoundCidrs",
  ],
  ciWriter: [
    "mount",
    "roleName",
    "boundAudiences",
    "repository",
    "environment",
    "ref",
    "tokenTtlSeconds",
    "tokenMaxTtlSeconds",
  ],
  database: [
    "mount",
    "existingMount",
    "connectionName",
    "host",
    "port",
    "database",
    "sslmode",
    "username",
    "password",
    "verifyConnection",
    "schemas",
    "roles",
    "staticRoles",
    "passwordPolicy",
  ],
  audit: [
    "enabled",
    "type",
    "path",
    "filePath",
    "mode",
    "address",
    "socketType",
    "facility",
    "tag",
    "hmacAccessor",
    "elideListResponses",
    "prefix",
    "local",
  ],
};

/** Keys of list items (`section.list` → keys of each item). */
const ITEM_KEYS: Record<string, readonly string[]> = {
  "policies.extraReaderRules": ["path", "capabilities", "description"],
  "policies.extraWriterRules": ["path", "capabilities", "description"],
  "database.roles": [
    "name",
    "access",
    "schemas",
    "allowCreate",
    "reassignOwnedTo",
    "defaultTtlSeconds",
    "maxTtlSeconds",
  ],
  "database.staticRoles": ["name", "username", "rotationPeriodSeconds"],
};

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

function checkObjectKeys(value: unknown, keys: readonly string[], field: string, problems: Problems): void {
  if (
    !problems.check(
      typeof value === "object" && value !== null && !Array.isArray(value),
      field,
      "must be an object",
    )
  ) {
    return;
  }
  for (const key of Object.keys(value as object)) {
    problems.check(
      keys.includes(key),
      `${field}.${key}`,
      `is not a Vault backend setting (known: ${keys.join(", ")})`,
    );
  }
}

/** A typo is an error, not a silently ignored setting (a misspelt TTL would fall back to the default). */
function checkKeys(settings: Record<string, unknown>, problems: Problems): void {
  for (const [section, keys] of Object.entries(SETTING_KEYS)) {
    const value = section === "" ? settings : settings[section];
    if (value === undefined || value === null) continue;
    checkObjectKeys(value, keys, section === "" ? PREFIX : `${PREFIX}.${section}`, problems);
  }
  for (const [list, keys] of Object.entries(ITEM_KEYS)) {
    const [section, name] = list.split(".");
    const items = (settings[section] as Record<string, unknown> | undefined)?.[name];
    if (items === undefined) continue;
    if (!problems.check(Array.isArray(items), `${PREFIX}.${list}`, "must be a list")) continue;
    (items as unknown[]).forEach((item, i) =>
      checkObjectKeys(item, keys, `${PREFIX}.${list}[${i}]`, problems),
    );
  }
}

function checkAddress(address: unknown, production: boolean, problems: Problems): string | undefined {
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
      `is required: Vault's URL as Airflow's pods reach it, e.g. "https://vault.internal:8200" (got ${JSON.stringify(address)})`,
    )
  ) {
    return undefined;
  }
  if (production) {
    problems.check(
      url!.protocol === "https:",
      `${PREFIX}.address`,
      `production Vault must be reached over https (got "${address}")`,
    );
  }
  return (address as string).replace(/\/$/, "");
}

/**
 * Validates `context.settings` and turns them into component arguments, adding every problem to
 * `problems` (paths start with `vault.`). Returns undefined when anything is wrong.
 */
export function resolveVaultSettings(
  context: EnvironmentContext,
  problems: Problems,
): VaultDeploymentArgs | undefined {
  const before = problems.list.length;
  const settings = (context.settings ?? {}) as Partial<VaultBackendSettings>;
  const env = context.environment;
  const production = context.production;
  checkKeys(settings as Record<string, unknown>, problems);
  const address = checkAddress(settings.address, production, problems);
  if (settings.namespace !== undefined) {
    problems.check(
      typeof settings.namespace === "string" &&
        /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(settings.namespace),
      `${PREFIX}.namespace`,
      `must be a Vault namespace path like "admin/data" (got "${settings.namespace}")`,
    );
  }
  if (settings.caCertPath !== undefined) {
    problems.check(
      /^\/\S+$/.test(settings.caCertPath),
      `${PREFIX}.caCertPath`,
      `must be an absolute path inside Airflow's pods (got "${settings.caCertPath}")`,
    );
  }

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
  if (jwtPath !== undefined) {
    problems.check(
      typeof jwtPath === "string" && /^\/\S*[^/\s]$/.test(jwtPath),
      `${PREFIX}.kubernetesAuth.jwtPath`,
      `must be the absolute path of a service account token file inside Airflow's pods (got ${JSON.stringify(jwtPath)})`,
    );
    backendKwargs.kubernetes_jwt_path = jwtPath;
  }

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
  const kvProblems = new Problems();
  validateKvStoreArgs(kv, kvProblems);
  // The contract's own paths (connections[…]) stay as they are; the store's get the `vault.` prefix.
  for (const problem of kvProblems.list) {
    const contractPath = /^(connections|variables|config|environment|airflow)\b/.test(problem.path);
    problems.add(contractPath ? problem.path : `${PREFIX}.${problem.path}`, problem.rule);
  }

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

  if (problems.list.length > before) return undefined;
  return { kv, policies, kubernetesAuth, ciWriter, database, audit, plan: kvPlanArgs(kv) };
}
