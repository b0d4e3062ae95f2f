/**
 * The Vault backend (`airflow-secrets:vault`, see README): where the contract stores the declarations
 * (`planArgs`), every rule of the settings with context defaults applied (`resolve`, pure) and the
 * umbrella component that builds from the result (`VaultAirflowSecrets`).
 */
import { PlanArgs, Problems } from "../airflow";
import type { AirflowSecretsBackend, BackendContext } from "../backend";
import { refuseWithExisting } from "../core/existing";
import { kubernetesIdentity } from "../kubernetes/serviceAccountNames";
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
import { DEFAULT_AWS_AUTH_MOUNT, VaultAwsAuthRoleArgs, validateAwsAuthRoleArgs } from "./awsAuthRole";

const PREFIX = "vault";

/** Airflow's `VaultBackend` kwargs beyond the layout: how it reaches and logs in to Vault. */
function connectionKwargs(
  environment: string,
  settings: Partial<VaultBackendSettings>,
  onKubernetes = true,
): Record<string, unknown> {
  const kubernetesAuth = settings.kubernetesAuth ?? undefined;
  const awsAuth = settings.awsAuth ?? undefined;
  const url = typeof settings.address === "string" ? settings.address.replace(/\/$/, "") : undefined;
  const kwargs: Record<string, unknown> = onKubernetes
    ? { url, auth_type: "kubernetes", kubernetes_role: kubernetesAuth?.roleName ?? `airflow-${environment}` }
    : // Off Kubernetes: AWS IAM auth with the host's credentials (awsAuthRole.ts); role_id is Vault's role.
      { url, auth_type: "aws_iam", role_id: awsAuth?.roleName ?? `airflow-${environment}` };
  // hvac's logins default to the method's own mount (`kubernetes`, `aws`); name it only when it differs.
  if (onKubernetes && kubernetesAuth?.mount !== undefined && kubernetesAuth.mount !== "kubernetes")
    kwargs.auth_mount_point = kubernetesAuth.mount;
  if (!onKubernetes && awsAuth?.mount !== undefined && awsAuth.mount !== DEFAULT_AWS_AUTH_MOUNT)
    kwargs.auth_mount_point = awsAuth.mount;
  // Unknown kwargs reach hvac.Client: `namespace` and `verify` are its own parameters.
  if (settings.namespace !== undefined) kwargs.namespace = settings.namespace;
  if (settings.caCertPath !== undefined) kwargs.verify = settings.caCertPath;
  if (onKubernetes && kubernetesAuth?.jwtPath !== undefined)
    kwargs.kubernetes_jwt_path = kubernetesAuth.jwtPath;
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
    extraKwargs: connectionKwargs(env, settings, context.kubernetes !== false),
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

  // On Kubernetes Airflow logs in with Kubernetes auth; off it, with AWS IAM auth (awsAuthRole.ts).
  const awsAuthSettings = settings.awsAuth ?? undefined;
  let kubernetesAuth: Omit<VaultKubernetesAuthRoleArgs, "policies"> | undefined;
  let awsAuth: Omit<VaultAwsAuthRoleArgs, "policies"> | undefined;
  if (context.kubernetes !== false) {
    problems.check(
      awsAuthSettings === undefined,
      `${PREFIX}.awsAuth`,
      "applies only with kubernetes: false; on Kubernetes Airflow logs in with Kubernetes auth (kubernetesAuth)",
    );
    const identity = kubernetesIdentity({ ...context, kubernetes: context.kubernetes });
    kubernetesAuth = {
      mount: kubernetesAuthSettings?.mount,
      roleName: kubernetesAuthSettings?.roleName ?? `airflow-${env}`,
      // Every Airflow component's service account, and no other (validated just below).
      serviceAccounts: identity?.serviceAccounts ?? [],
      namespace: identity?.namespace ?? "",
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
  } else {
    problems.check(
      kubernetesAuthSettings === undefined,
      `${PREFIX}.kubernetesAuth`,
      "is Kubernetes auth's and kubernetes is false: remove it; awsAuth names the IAM roles Airflow logs in as",
    );
    if (
      problems.check(
        awsAuthSettings !== undefined,
        `${PREFIX}.awsAuth`,
        "is required with kubernetes: false: name the IAM roles Airflow runs as (airflowRoleArns, e.g. MWAA's execution role)",
      )
    ) {
      awsAuth = {
        mount: awsAuthSettings!.mount,
        roleName: awsAuthSettings!.roleName ?? `airflow-${env}`,
        airflowRoleArns: awsAuthSettings!.airflowRoleArns,
        tokenTtlSeconds: awsAuthSettings!.tokenTtlSeconds,
        tokenMaxTtlSeconds: awsAuthSettings!.tokenMaxTtlSeconds,
        vaultNamespace: settings.namespace,
      };
      validateAwsAuthRoleArgs(awsAuth, problems, `${PREFIX}.awsAuth`);
    }
  }

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
    ...(kubernetesAuth ? { kubernetesAuth } : {}),
    ...(awsAuth ? { awsAuth } : {}),
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
