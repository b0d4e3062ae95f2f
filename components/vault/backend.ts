/**
 * The Vault backend (`airflow-secrets:vault`, see README): where the contract stores the declarations
 * (`planArgs`), every rule of the settings with context defaults applied (`resolve`, pure) and the
 * umbrella component that builds from the result (`VaultAirflowSecrets`).
 */
import { PlanArgs, Problems } from "../airflow";
import type { AirflowSecretsBackend, BackendContext } from "../backend";
import { refuseWithExisting } from "../core/existing";
import { checkEnvironmentPrefix, validateEnvironmentPolicies } from "./airflowPolicies";
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
import { DEFAULT_KV_MOUNT } from "./kvStore";
import { checkMountPath } from "./paths";
import { VaultBackendSettings, settingsSchema } from "./schema";
import { VaultAirflowSecrets, VaultResolved } from "./vaultAirflowSecrets";

const PREFIX = "vault";

/** Airflow's `VaultBackend` kwargs beyond the layout: how it reaches and logs in to Vault. */
function connectionKwargs(
  environment: string,
  settings: Partial<VaultBackendSettings>,
): Record<string, unknown> {
  const kubernetesAuth = settings.kubernetesAuth ?? undefined;
  const kwargs: Record<string, unknown> = {
    url: typeof settings.address === "string" ? settings.address.replace(/\/$/, "") : undefined,
    auth_type: "kubernetes",
    kubernetes_role: kubernetesAuth?.roleName ?? `airflow-${environment}`,
  };
  // hvac's Kubernetes login defaults to the `kubernetes` mount; name it only when it differs.
  if (kubernetesAuth?.mount !== undefined && kubernetesAuth.mount !== "kubernetes")
    kwargs.auth_mount_point = kubernetesAuth.mount;
  // Unknown kwargs reach hvac.Client: `namespace` and `verify` are its own parameters.
  if (settings.namespace !== undefined) kwargs.namespace = settings.namespace;
  if (settings.caCertPath !== undefined) kwargs.verify = settings.caCertPath;
  if (kubernetesAuth?.jwtPath !== undefined) kwargs.kubernetes_jwt_path = kubernetesAuth.jwtPath;
  return kwargs;
}

/** The KV mount the environment's secrets go to: the one brought, or the one created. */
const kvMount = (settings: Partial<VaultBackendSettings>) =>
  settings.kv?.existing?.mount ?? settings.kv?.mount ?? DEFAULT_KV_MOUNT;

function planArgs(context: BackendContext, settings: Partial<VaultBackendSettings>): PlanArgs {
  const env = context.environment;
  const layout = settings.layout ?? undefined;
  return {
    backend: "vault",
    environment: env,
    declarations: context.declarations ?? {},
    airflow: context.airflow,
    layout: {
      mountPoint: kvMount(settings),
      connectionsPrefix: layout?.connectionsPath ?? `${env}/connections`,
      variablesPrefix: layout?.variablesPath ?? `${env}/variables`,
      configPrefix: layout?.configPath ?? `${env}/config`,
      sep: "/",
    },
    extraKwargs: connectionKwargs(env, settings),
  };
}

function checkAddress(address: unknown, production: boolean, problems: Problems): void {
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
    problems.check(
      ok,
      `${PREFIX}.address`,
      `must be Vault's URL as Airflow's pods reach it, http(s)://host[:port] with no path, query or credentials, e.g. "https://vault.internal:8200"`,
    ) &&
    production
  )
    problems.check(
      url!.protocol === "https:",
      `${PREFIX}.address`,
      "production Vault must be reached over https",
    );
}

/**
 * Every rule of the Vault settings with the environment's defaults applied. Pure: registers nothing
 * and reads no clock; the declarations were checked once, by the plan it is given.
 */
export function resolveVault(
  input: {
    context: BackendContext;
    settings: VaultBackendSettings;
    complete: boolean;
    plan: VaultResolved["plan"] | undefined;
  },
  problems: Problems,
): VaultResolved | undefined {
  const { context, settings, plan } = input;
  const before = problems.list.length;
  const env = context.environment;
  const production = context.production;
  // A block with every child commented out (YAML null) is absent.
  const kv = settings.kv ?? undefined;
  const kubernetesAuthSettings = settings.kubernetesAuth ?? undefined;
  const ciWriterSettings = settings.ciWriter ?? undefined;
  const databaseSettings = settings.database ?? undefined;
  const auditSettings = settings.audit ?? undefined;
  const policySettings = settings.policies ?? undefined;

  // Salvaged settings may lack `address` (already reported as a shape problem).
  if (settings.address !== undefined) checkAddress(settings.address, production, problems);

  const kubernetesAuth: Omit<VaultKubernetesAuthRoleArgs, "policies"> = {
    mount: kubernetesAuthSettings?.mount,
    roleName: kubernetesAuthSettings?.roleName ?? `airflow-${env}`,
    serviceAccount: context.kubernetes?.serviceAccount,
    namespace: context.kubernetes?.namespace,
    tokenTtlSeconds: kubernetesAuthSettings?.tokenTtlSeconds,
    tokenMaxTtlSeconds: kubernetesAuthSettings?.tokenMaxTtlSeconds,
    audience: kubernetesAuthSettings?.audience,
    tokenBoundCidrs: kubernetesAuthSettings?.tokenBoundCidrs,
    vaultNamespace: settings.namespace,
  };
  // A placeholder stands in for the reader policy's name, an output of the component.
  validateKubernetesAuthRoleArgs(
    { ...kubernetesAuth, policies: ["reader"] },
    problems,
    `${PREFIX}.kubernetesAuth`,
  );

  // The store: its mount, and a layout each of whose paths the environment's policies can cover.
  if (kv?.mount !== undefined) checkMountPath(kv.mount, `${PREFIX}.kv.mount`, problems);
  if (kv?.existing !== undefined) checkMountPath(kv.existing.mount, `${PREFIX}.kv.existing.mount`, problems);
  refuseWithExisting(kv, ["mount", "maxVersions", "sealWrap"], `${PREFIX}.kv`, problems);
  const layout = planArgs(context, settings).layout!;
  const kvPrefixes = [layout.connectionsPrefix!, layout.variablesPrefix!, layout.configPrefix!];
  const layoutOk = [
    checkEnvironmentPrefix(env, layout.connectionsPrefix!, `${PREFIX}.layout.connectionsPath`, problems),
    checkEnvironmentPrefix(env, layout.variablesPrefix!, `${PREFIX}.layout.variablesPath`, problems),
    checkEnvironmentPrefix(env, layout.configPrefix!, `${PREFIX}.layout.configPath`, problems),
  ].every(Boolean);

  let database: VaultDatabaseSecretsArgs | undefined;
  if (databaseSettings !== undefined) {
    refuseWithExisting(databaseSettings, ["mount"], `${PREFIX}.database`, problems);
    database = { ...databaseSettings, environment: env, production, namespace: settings.namespace };
    validateDatabaseSecretsArgs(database, problems, `${PREFIX}.database`);
  }

  // The policies are built from the layout: a layout outside the environment is reported once, above.
  const policies = layoutOk
    ? validateEnvironmentPolicies(
        {
          environment: env,
          mount: kvMount(settings),
          kvPrefixes,
          databaseCredentialPaths: database ? databaseCredentialPaths(database) : [],
          production,
          readerName: policySettings?.readerName,
          writerName: policySettings?.writerName,
          extraReaderRules: policySettings?.extraReaderRules,
          extraWriterRules: policySettings?.extraWriterRules,
        },
        problems,
        `${PREFIX}.policies`,
      )
    : undefined;

  let ciWriter: Omit<VaultCiWriterRoleArgs, "policies"> | undefined;
  if (ciWriterSettings !== undefined) {
    ciWriter = {
      ...ciWriterSettings,
      roleName: ciWriterSettings.roleName ?? `airflow-${env}-ci`,
      production,
      vaultNamespace: settings.namespace,
    };
    validateCiWriterRoleArgs({ ...ciWriter, policies: ["writer"] }, problems, `${PREFIX}.ciWriter`);
  }

  let audit: VaultAuditDeviceArgs | undefined;
  const { enabled, ...deviceSettings } = auditSettings ?? {};
  if (enabled ?? production) {
    const type = deviceSettings.type ?? "file";
    audit = {
      ...deviceSettings,
      type,
      path: deviceSettings.path ?? `airflow-${env}-${type}`,
      filePath:
        type === "file"
          ? (deviceSettings.filePath ?? `/vault/audit/airflow-${env}.log`)
          : deviceSettings.filePath,
      protect: production,
      namespace: settings.namespace,
    };
    validateAuditDeviceArgs(audit, problems, `${PREFIX}.audit`);
  }

  if (!input.complete || plan === undefined || policies === undefined || problems.list.length > before)
    return undefined;
  return {
    plan,
    environment: env,
    store: {
      environment: env,
      plan,
      existing: kv?.existing,
      maxVersions: kv?.maxVersions,
      sealWrap: kv?.sealWrap,
      production,
      namespace: settings.namespace,
      owner: context.owner,
    },
    policies: { reader: policies.reader, writer: policies.writer, namespace: settings.namespace },
    kubernetesAuth,
    ciWriter,
    database,
    audit,
  };
}

export const backend: AirflowSecretsBackend<typeof settingsSchema, VaultResolved> = {
  name: "vault",
  description: "HashiCorp Vault KV v2 (airflow.providers.hashicorp.secrets.vault.VaultBackend)",
  settingsSchema,
  planArgs,
  resolve: resolveVault,
  component: VaultAirflowSecrets,
};
