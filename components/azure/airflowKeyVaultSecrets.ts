import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import { AirflowConfig, AirflowSettings, Problems, SecretsDeclarations, validatePlan } from "../airflow";
import { KubernetesSettings } from "../stackBackend";
import { KeyVaultAccess, validateKeyVaultAccessArgs } from "./access";
import { KeyVaultDiagnostics } from "./diagnostics";
import { AirflowKeyVault } from "./keyVault";
import { defaultFunctionAppName, defaultStorageAccountName } from "./naming";
import { KeyVaultRotation } from "./rotation";
import {
  KeyVaultSecretStore,
  KeyVaultSecretStoreArgs,
  rotatedSecretNames,
  validateKeyVaultSecretStore,
} from "./secretStore";
import { AzureBackendSettings, ResolvedAzureSettings, resolveAzureSettings } from "./settings";

export interface AirflowKeyVaultSecretsArgs {
  /** Environment name (dev, staging, prod). */
  environment: string;
  /** Stricter defaults: private vault, protected Fernet key and vault, alert routing required. */
  production?: boolean;
  /** Owning team, tagged on every resource. */
  owner?: string;
  declarations: SecretsDeclarations;
  airflow: AirflowSettings;
  /** Airflow's namespace and service account (the workload identity subject). */
  kubernetes: KubernetesSettings;
  /** The backend settings (stack config `airflow-secrets:azure`), validated here. */
  settings: AzureBackendSettings;
  /** Inputs to the default-name digest. Default: the Pulumi project and stack. */
  uniqueness?: string[];
  /** The clock expiries are derived from (tests pin it). */
  now?: Date;
}

export interface ValidatedAzureBackend {
  settings: ResolvedAzureSettings;
  store: Omit<KeyVaultSecretStoreArgs, "vault"> & { vault: { resourceGroupName: string; url: string } };
  uniqueness: string[];
  now: Date;
}

/**
 * Every check of the Azure backend, registering nothing: settings, the Airflow contract (names,
 * collisions, sizes) with this vault's URL, rotation prerequisites, the identity binding.
 */
export function validateAirflowKeyVaultSecrets(
  args: AirflowKeyVaultSecretsArgs,
  problems: Problems,
): ValidatedAzureBackend | undefined {
  const before = problems.list.length;
  const now = args.now ?? new Date();
  const uniqueness = args.uniqueness ?? [pulumi.getProject(), pulumi.getStack()];
  const production = args.production ?? args.environment === "prod";
  const settings = resolveAzureSettings(
    args.settings,
    { environment: args.environment, production, owner: args.owner, uniqueness, now },
    problems,
  );
  if (!settings) {
    // Still report the declarations' own problems in the same run (with the default layout).
    validatePlan(
      {
        backend: "azure-key-vault",
        environment: args.environment,
        declarations: args.declarations,
        airflow: args.airflow,
      },
      problems,
    );
    return undefined;
  }

  const store = {
    environment: args.environment,
    declarations: args.declarations,
    airflow: args.airflow,
    layout: settings.layout,
    vault: { resourceGroupName: settings.vault.resourceGroupName, url: settings.vault.url },
    expiry: settings.expiry,
    production,
    now,
    tags: settings.tags,
  };
  validateKeyVaultSecretStore(
    { ...store, vault: { ...store.vault, name: settings.vault.name } },
    problems,
    now,
  );
  validateKeyVaultAccessArgs(
    {
      environment: args.environment,
      vault: { id: "", name: settings.vault.name, resourceGroupName: settings.vault.resourceGroupName },
      subscriptionId: "",
      resourceGroupName: settings.resourceGroupName,
      location: settings.location,
      oidcIssuerUrl: settings.aksOidcIssuerUrl,
      namespace: args.kubernetes?.namespace,
      serviceAccount: args.kubernetes?.serviceAccount,
      ciWriter: settings.ciWriter,
    },
    problems,
  );
  const rotates = (args.declarations.connections ?? []).some((c) => c.rotation !== undefined);
  if (rotates && settings.rotation.subnetId === undefined) {
    const closed =
      settings.vault.publicNetworkAccess === "Disabled" || settings.vault.networkDefaultAction === "Deny";
    problems.check(
      !closed,
      "azure.rotation.subnetId",
      "is required: the vault refuses public traffic, so the rotator needs VNet integration (premium plan) to reach it (and the database)",
    );
  }
  if (
    rotates &&
    settings.rotation.subnetId !== undefined &&
    settings.vault.publicNetworkAccess === "Enabled" &&
    settings.vault.networkDefaultAction === "Deny"
  ) {
    problems.check(
      settings.vault.subnetIds.some((id) => id.toLowerCase() === settings.rotation.subnetId!.toLowerCase()),
      "azure.vault.subnetIds",
      "must include rotation.subnetId: the rotator reaches the vault through its firewall from that subnet",
    );
  }
  return problems.list.length > before ? undefined : { settings, store, uniqueness, now };
}

/**
 * One environment's Airflow secrets in Azure Key Vault: the vault, the secrets exactly as Airflow's
 * AzureKeyVaultBackend reads them, Airflow's workload identity with read access, an optional CI
 * writer that cannot read, audit logs with an alert on failed reads, and rotation on expiry for
 * connections that declare it. Everything is validated before the first resource is registered.
 */
export class AirflowKeyVaultSecrets extends pulumi.ComponentResource {
  readonly vault: AirflowKeyVault;
  readonly store: KeyVaultSecretStore;
  readonly access: KeyVaultAccess;
  readonly diagnostics: KeyVaultDiagnostics;
  readonly rotation?: KeyVaultRotation;
  readonly airflowConfig: AirflowConfig;
  readonly serviceAccountAnnotations: Record<string, pulumi.Output<string>>;
  readonly serviceAccountLabels: Record<string, string>;

  constructor(name: string, args: AirflowKeyVaultSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = new Problems();
    const validated = validateAirflowKeyVaultSecrets(args, problems);
    problems.throwIfAny(`AirflowKeyVaultSecrets "${args.environment}"`);
    const { settings, store, uniqueness } = validated!;
    const production = store.production;
    super("airflow-secrets:azure:AirflowKeyVaultSecrets", name, {}, opts);

    const client = authorization.getClientConfigOutput({ parent: this });
    const subscriptionId = settings.vault.existing
      ? pulumi.output(settings.vault.existing.subscriptionId)
      : client.subscriptionId;
    const tenantId = settings.tenantId !== undefined ? pulumi.output(settings.tenantId) : client.tenantId;

    this.vault = new AirflowKeyVault(
      `${name}-kv`,
      {
        name: settings.vault.name,
        resourceGroupName: settings.vault.resourceGroupName,
        location: settings.location,
        tenantId,
        existingId: settings.vault.existing?.id,
        sku: settings.vault.sku,
        publicNetworkAccess: settings.vault.publicNetworkAccess,
        networkDefaultAction: settings.vault.networkDefaultAction,
        allowedIpRanges: settings.vault.allowedIpRanges,
        subnetIds: settings.vault.subnetIds,
        dnsSuffix: new URL(settings.vault.url).hostname.split(".").slice(1).join("."),
        protect: production,
        tags: settings.tags,
      },
      { parent: this },
    );
    const vaultRef = {
      id: this.vault.id,
      name: settings.vault.name,
      resourceGroupName: settings.vault.resourceGroupName,
      url: settings.vault.url,
    };

    const rotated = (args.declarations.connections ?? []).filter((c) => c.rotation !== undefined);
    if (rotated.length > 0) {
      this.rotation = new KeyVaultRotation(
        `${name}-rotation`,
        {
          environment: args.environment,
          resourceGroupName: settings.resourceGroupName,
          location: settings.location,
          subscriptionId,
          vault: vaultRef,
          secrets: rotatedSecretNames(args.environment, args.declarations, settings.layout),
          plan: settings.rotation.plan,
          subnetId: settings.rotation.subnetId,
          storageAccountName: defaultStorageAccountName(args.environment, [
            ...uniqueness,
            settings.resourceGroupName,
          ]),
          functionAppName: defaultFunctionAppName(args.environment, [
            ...uniqueness,
            settings.resourceGroupName,
          ]),
          tags: settings.tags,
        },
        { parent: this },
      );
    }

    this.store = new KeyVaultSecretStore(
      `${name}-secrets`,
      {
        ...store,
        vault: { ...store.vault, name: this.vault.vaultName },
        rotatedSecretsDependOn: this.rotation ? [this.rotation.eventSubscription] : undefined,
      },
      { parent: this },
    );
    this.airflowConfig = this.store.plan.airflowConfig;

    this.access = new KeyVaultAccess(
      `${name}-access`,
      {
        environment: args.environment,
        vault: vaultRef,
        subscriptionId,
        resourceGroupName: settings.resourceGroupName,
        location: settings.location,
        oidcIssuerUrl: settings.aksOidcIssuerUrl,
        namespace: args.kubernetes.namespace,
        serviceAccount: args.kubernetes.serviceAccount,
        ciWriter: settings.ciWriter,
        rotator: this.rotation
          ? {
              principalId: this.rotation.identity.principalId,
              secrets: this.store.rotated.flatMap((r) => [
                { name: r.name, id: this.store.secrets[r.name].id },
                { name: r.journalName, id: this.store.journalSecrets[r.name].id },
              ]),
              // A master that is itself rotated already has get + set through its own grant.
              masterSecrets: [
                ...new Set(
                  this.store.rotated.map((r) => r.masterName).filter((m): m is string => m !== undefined),
                ),
              ]
                .filter((m) => !this.store.rotated.some((r) => r.name === m))
                .map((m) => ({
                  name: m,
                  id: this.store.secrets[m].id,
                })),
            }
          : undefined,
        tags: settings.tags,
      },
      { parent: this },
    );
    this.serviceAccountAnnotations = this.access.serviceAccountAnnotations;
    this.serviceAccountLabels = this.access.serviceAccountLabels;

    this.diagnostics = new KeyVaultDiagnostics(
      `${name}-diagnostics`,
      {
        environment: args.environment,
        vault: vaultRef,
        resourceGroupName: settings.resourceGroupName,
        location: settings.location,
        workspaceId: settings.diagnostics.workspaceId,
        retentionDays: settings.diagnostics.workspaceId ? undefined : settings.diagnostics.retentionDays,
        actionGroupId: settings.diagnostics.actionGroupId,
        failedReadThreshold: settings.diagnostics.failedReadThreshold,
        tags: settings.tags,
      },
      { parent: this },
    );
    this.registerOutputs({
      vaultId: this.vault.id,
      vaultUrl: this.vault.url,
      airflowClientId: this.access.identity.clientId,
    });
  }
}
