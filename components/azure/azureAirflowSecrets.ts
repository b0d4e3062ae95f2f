import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import { SecretsPlan } from "../airflow";
import type { BackendComponent, BackendDeployment, ResolvedBackend } from "../backend";
import type { KubernetesIdentity } from "../kubernetes/serviceAccountNames";
import { KeyVaultAccess } from "./access";
import { KeyVaultDiagnostics } from "./diagnostics";
import { AirflowKeyVault } from "./keyVault";
import { KeyVaultRotation } from "./rotation";
import { KeyVaultSecretStore, RotatedSecretNames } from "./secretStore";
import { ResolvedAzureSettings } from "./settings";

/** Everything `AzureAirflowSecrets` builds from, decided by the backend's `resolve` (see `backend.ts`). */
export interface AzureResolved extends ResolvedBackend {
  /** The one plan of the declarations: names, values and the Airflow configuration. */
  plan: SecretsPlan;
  environment: string;
  production: boolean;
  /** Airflow's namespace and service accounts (one workload identity subject each); absent off Kubernetes. */
  kubernetes?: KubernetesIdentity;
  /** The settings with every default applied (vault name and URL included). */
  settings: ResolvedAzureSettings;
  /** The rotated connections, their journals and masters, by stored name. */
  rotated: RotatedSecretNames[];
  /** Globally unique names of the rotator's resources, derived once. */
  names: { storageAccount: string; functionApp: string };
  /** Expiry stamps in epoch seconds, from the environment's clock (read once). */
  expires: { secrets: number; rotatedSecrets: number };
}

/** The type token this component had before the backend refactor: deployed stacks keep its resources. */
const PREVIOUS_TYPE = "airflow-secrets:azure:AirflowKeyVaultSecrets";

/**
 * One environment's Airflow secrets in Azure Key Vault: the vault, the secrets exactly as Airflow's
 * AzureKeyVaultBackend reads them, Airflow's workload identity with read access, an optional CI
 * writer that cannot read, audit logs with an alert on failed reads, and rotation on expiry for
 * connections that declare it. Builds only from `resolved` and never validates: the backend's
 * `resolve` (or `resolveBackendOrThrow`) has checked everything before this runs.
 */
export class AzureAirflowSecrets extends pulumi.ComponentResource implements BackendComponent {
  readonly plan: SecretsPlan;
  readonly vault: AirflowKeyVault;
  readonly store: KeyVaultSecretStore;
  readonly access: KeyVaultAccess;
  readonly audit: KeyVaultDiagnostics;
  readonly rotation?: KeyVaultRotation;
  readonly deployment: BackendDeployment;

  constructor(name: string, resolved: AzureResolved, opts?: pulumi.ComponentResourceOptions) {
    super(
      "airflow-secrets:azure:AzureAirflowSecrets",
      name,
      {},
      {
        ...opts,
        aliases: [...(opts?.aliases ?? []), { type: PREVIOUS_TYPE }],
      },
    );
    const { plan, settings, environment, production, kubernetes } = resolved;
    this.plan = plan;

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
        existing: settings.vault.existing ? { id: settings.vault.existing.id } : undefined,
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

    if (resolved.rotated.length > 0) {
      this.rotation = new KeyVaultRotation(
        `${name}-rotation`,
        {
          environment,
          resourceGroupName: settings.resourceGroupName,
          location: settings.location,
          subscriptionId,
          vault: vaultRef,
          secrets: resolved.rotated,
          plan: settings.rotation.plan,
          subnetId: settings.rotation.subnetId,
          storageAccountName: resolved.names.storageAccount,
          functionAppName: resolved.names.functionApp,
          tags: settings.tags,
        },
        { parent: this },
      );
    }

    this.store = new KeyVaultSecretStore(
      `${name}-secrets`,
      {
        plan,
        vault: { name: this.vault.vaultName, resourceGroupName: settings.vault.resourceGroupName },
        expires: resolved.expires,
        production,
        rotatedSecretsDependOn: this.rotation ? [this.rotation.eventSubscription] : undefined,
        tags: settings.tags,
      },
      { parent: this },
    );

    this.access = new KeyVaultAccess(
      `${name}-access`,
      {
        environment,
        vault: vaultRef,
        subscriptionId,
        resourceGroupName: settings.resourceGroupName,
        location: settings.location,
        oidcIssuerUrl: settings.aksOidcIssuerUrl,
        offKubernetes: kubernetes === undefined,
        namespace: kubernetes?.namespace ?? "",
        serviceAccounts: kubernetes?.serviceAccounts ?? [],
        sharedServiceAccount: kubernetes?.sharedServiceAccount,
        ciWriter: settings.ciWriter,
        rotator: this.rotation ? this.rotatorGrants(this.rotation, this.store) : undefined,
        tags: settings.tags,
      },
      { parent: this },
    );

    this.audit = new KeyVaultDiagnostics(
      `${name}-diagnostics`,
      {
        environment,
        vault: vaultRef,
        resourceGroupName: settings.resourceGroupName,
        location: settings.location,
        existing:
          settings.diagnostics.workspaceId !== undefined
            ? { workspaceId: settings.diagnostics.workspaceId }
            : undefined,
        retentionDays: settings.diagnostics.workspaceId ? undefined : settings.diagnostics.retentionDays,
        actionGroupId: settings.diagnostics.actionGroupId,
        failedReadThreshold: settings.diagnostics.failedReadThreshold,
        journals: this.rotation ? { blobServiceId: this.rotation.blobServiceId } : undefined,
        tags: settings.tags,
      },
      { parent: this },
    );

    this.deployment = {
      airflowConfig: plan.airflowConfig,
      serviceAccountAnnotations: this.access.serviceAccountAnnotations,
      serviceAccountLabels: this.access.serviceAccountLabels,
      outputs: {
        keyVaultId: this.vault.id,
        keyVaultName: this.vault.vaultName,
        keyVaultUrl: this.vault.url,
        keyVaultSecretNames: plan.secrets.map((s) => s.name).sort(),
        airflowIdentityClientId: this.access.identity.clientId,
        // Off Kubernetes, the identity to assign to Airflow's host (a VM's user-assigned identities).
        ...(resolved.kubernetes === undefined ? { airflowIdentityId: this.access.identity.id } : {}),
        airflowIdentityPrincipalId: this.access.identity.principalId,
        ...(this.access.writerRole ? { ciWriterRoleDefinitionId: this.access.writerRole.id } : {}),
        logAnalyticsWorkspaceId: this.audit.workspaceId,
        ...(this.rotation ? { rotatorFunctionAppId: this.rotation.functionApp.id } : {}),
      },
      // A name per secret: exported by the stack, kept out of component state.
      perDeclarationOutputs: ["keyVaultSecretNames"],
    };
    this.registerOutputs({
      vaultId: this.vault.id,
      vaultUrl: this.vault.url,
      airflowClientId: this.access.identity.clientId,
    });
  }

  /**
   * The rotator's grants in the vault: get + set on each rotated secret, read on masters. Its
   * journals are blobs of its own storage account (`KeyVaultRotation`), which it owns already.
   */
  private rotatorGrants(rotation: KeyVaultRotation, store: KeyVaultSecretStore) {
    const secret = (name: string) => ({ name, id: store.secrets[name].id });
    const rotatedNames = new Set(store.rotated.map((r) => r.name));
    return {
      principalId: rotation.identity.principalId,
      secrets: store.rotated.map((r) => secret(r.name)),
      // A master that is itself rotated already has get + set through its own grant.
      masterSecrets: [...new Set(store.rotated.map((r) => r.masterName))]
        .filter((m): m is string => m !== undefined && !rotatedNames.has(m))
        .map(secret),
    };
  }
}
