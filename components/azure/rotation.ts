import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as eventgrid from "@pulumi/azure-native/eventgrid";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as storage from "@pulumi/azure-native/storage";
import * as web from "@pulumi/azure-native/web";
import { Problems, validateOrThrow } from "../airflow";
import { rotatorPasswordPolicy } from "../rotation/config";
import { checkRotatorPasswordSettings } from "../rotation/prerequisites";
import type { PasswordOptions } from "../rotation/password";
import type { RotationStrategy } from "../rotation/strategy";
import { SOFT_DELETE_RETENTION_DAYS } from "./keyVault";
import { checkArmId, checkResourceGroupName } from "./naming";
import {
  STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID,
  STORAGE_BLOB_DATA_OWNER_ROLE_ID,
  builtInRoleDefinitionId,
} from "./rbac";
import { rotatorPackage } from "./rotator/bundle";
import {
  ROTATION_CONFIG_SETTING,
  ROTATION_EVENT_TYPES,
  ROTATOR_FUNCTION_NAME,
  JournalsConfig,
  RotationConfig,
} from "./rotator/config";
import { JOURNAL_CONTAINER } from "./rotator/journal";
import { RotationPlan } from "./settings";

export interface RotatedSecretArgs {
  /** The stored name Airflow reads (the Event Grid subject). */
  name: string;
  strategy: RotationStrategy;
  /** Days between rotations: each new version expires this long after it is written. */
  everyDays: number;
  /**
   * The journal holding the pending credential while a rotation is in flight: a blob the function
   * writes at run time in the `rotation-journals` container of its own storage account.
   */
  journalName: string;
  /** Secret with the master credential (alternating users). */
  masterName?: string;
}

export interface KeyVaultRotationArgs {
  environment: string;
  resourceGroupName: string;
  location: string;
  subscriptionId: pulumi.Input<string>;
  vault: { id: pulumi.Input<string>; name: string; url: string };
  /** The secrets to rotate (at most 25). */
  secrets: RotatedSecretArgs[];
  /** `consumption` (Linux Y1) or `premium` (EP1, needed for VNet integration). Default consumption. */
  plan?: RotationPlan;
  /** VNet integration subnet (delegated to Microsoft.Web/serverFarms), so the function reaches a private vault and database. */
  subnetId?: string;
  /** Storage account for the package, host state and dead letters (3-24 lowercase letters and digits). */
  storageAccountName: string;
  /** Function app name (2-60 letters, digits, -; a DNS label under azurewebsites.net). */
  functionAppName: string;
  tags?: Record<string, string>;
  /** How the rotator generates passwords. Default: the rotation core's (32 characters, no quotes, `\\`, `/`, `@`). */
  password?: Pick<PasswordOptions, "length" | "excludeCharacters">;
}

export function validateKeyVaultRotationArgs(args: KeyVaultRotationArgs, problems: Problems): void {
  checkResourceGroupName(args.resourceGroupName, "resourceGroupName", problems);
  problems.check(
    /^[a-z0-9]{3,24}$/.test(args.storageAccountName ?? ""),
    "storageAccountName",
    `must be 3-24 lowercase letters and digits (got ${JSON.stringify(args.storageAccountName)})`,
  );
  problems.check(
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,58}[A-Za-z0-9])?$/.test(args.functionAppName ?? ""),
    "functionAppName",
    `must be 2-60 letters, digits and -, not starting or ending with - (got ${JSON.stringify(args.functionAppName)})`,
  );
  problems.check(
    args.secrets.length >= 1 && args.secrets.length <= 25,
    "secrets",
    `must list 1-25 secrets (Event Grid's StringIn filter limit; got ${args.secrets.length})`,
  );
  if (args.subnetId !== undefined) {
    checkArmId(args.subnetId, "Microsoft.Network/virtualNetworks/subnets", "subnetId", problems);
    problems.check(
      (args.plan ?? "premium") === "premium",
      "plan",
      "consumption (Linux Y1) has no VNet integration; use premium with subnetId",
    );
  }
  checkRotatorPasswordSettings(
    { length: args.password?.length, excludeCharacters: args.password?.excludeCharacters },
    { length: "password.length", excludeCharacters: "password.excludeCharacters" },
    problems,
  );
  args.secrets.forEach((s, i) => {
    problems.check(
      Number.isInteger(s.everyDays) && s.everyDays >= 1 && s.everyDays <= 365,
      `secrets[${i}].everyDays`,
      "must be a whole number of days from 1 to 365",
    );
  });
}

/** The journal container's URL in the rotator's storage account. */
export function journalContainerUrl(storageAccountName: string): string {
  return `https://${storageAccountName}.blob.core.windows.net/${JOURNAL_CONTAINER}`;
}

/**
 * The function's view of the secrets, keyed by lower-cased name (Key Vault names are
 * case-insensitive), and the token audience of the vault's cloud: `https://{dnsSuffix}`, the vault
 * URL's host without the vault name (a public-cloud token is refused by a sovereign-cloud vault);
 * and where the journals are (the container `KeyVaultRotation` creates).
 */
export function rotationConfig(
  args: Pick<KeyVaultRotationArgs, "vault" | "secrets" | "password">,
  journals: JournalsConfig,
): RotationConfig {
  return {
    vaultUrl: args.vault.url,
    tokenResource: `https://${new URL(args.vault.url).hostname.split(".").slice(1).join(".")}`,
    secrets: Object.fromEntries(
      args.secrets.map((s) => [
        s.name.toLowerCase(),
        {
          strategy: s.strategy,
          everyDays: s.everyDays,
          journalName: s.journalName,
          ...(s.masterName ? { master: s.masterName } : {}),
        },
      ]),
    ),
    password: rotatorPasswordPolicy(args.password),
    journals,
  };
}

/**
 * Rotation on expiry: an Event Grid system topic on the vault and a subscription that delivers
 * `SecretNearExpiry` (and `SecretExpired`, a second chance) for the rotated secrets only to an
 * Azure Function. The function runs as its own user-assigned identity; its secret grants are made
 * per secret by {@link KeyVaultAccess}. One instance at most, so rotations never race.
 *
 * The pending credential of a rotation in flight (the journal) is a blob in the `rotation-journals`
 * container of the function's own storage account, written at run time: nothing per connection is
 * declared for it, nothing of the vault Airflow reads holds it, and the only identity with data
 * access to the container is the rotator's (Storage Blob Data Owner on its account, which the
 * Functions host needs anyway; Event Grid writes to the dead-letter container only). Deleted blobs
 * stay recoverable for 90 days, and no data-plane caller can purge them early (blob soft delete
 * without permanent delete).
 */
export class KeyVaultRotation extends pulumi.ComponentResource {
  readonly identity: managedidentity.UserAssignedIdentity;
  readonly storageAccount: storage.StorageAccount;
  readonly functionApp: web.WebApp;
  readonly systemTopic: eventgrid.SystemTopic;
  readonly eventSubscription: eventgrid.SystemTopicEventSubscription;
  /** The journal container (`rotation-journals`) of the rotator's storage account. */
  readonly journalContainer: storage.BlobContainer;
  /** Soft delete of the account's blobs and containers, the journals' included. */
  readonly blobService: storage.BlobServiceProperties;
  /** ARM id of the account's blob service (`…/blobServices/default`), where its audit logs come from. */
  readonly blobServiceId: pulumi.Output<string>;

  constructor(name: string, args: KeyVaultRotationArgs, opts?: pulumi.ComponentResourceOptions) {
    validateOrThrow("KeyVaultRotation", (problems) => validateKeyVaultRotationArgs(args, problems));
    super("airflow-secrets:azure:KeyVaultRotation", name, {}, opts);
    const parent = { parent: this };
    const group = { resourceGroupName: args.resourceGroupName };
    const role = (roleId: string) =>
      pulumi.output(args.subscriptionId).apply((id) => builtInRoleDefinitionId(id, roleId));

    this.identity = new managedidentity.UserAssignedIdentity(
      `${name}-identity`,
      {
        ...group,
        resourceName: `id-airflow-rotator-${args.environment}`,
        location: args.location,
        tags: args.tags,
      },
      parent,
    );

    this.storageAccount = new storage.StorageAccount(
      `${name}-storage`,
      {
        ...group,
        accountName: args.storageAccountName,
        location: args.location,
        kind: "StorageV2",
        sku: { name: "Standard_LRS" },
        allowBlobPublicAccess: false,
        // Everything (host, package download, dead letters) authenticates with Entra identities.
        allowSharedKeyAccess: false,
        defaultToOAuthAuthentication: true,
        minimumTlsVersion: "TLS1_2",
        enableHttpsTrafficOnly: true,
        tags: args.tags,
      },
      parent,
    );
    const container = (suffix: string, containerName: string) =>
      new storage.BlobContainer(
        `${name}-${suffix}`,
        { ...group, accountName: this.storageAccount.name, containerName, publicAccess: "None" },
        parent,
      );
    const packages = container("packages", "rotator-packages");
    const deadLetters = container("dead-letters", "rotation-dead-letters");
    this.journalContainer = container("journals", JOURNAL_CONTAINER);
    // A journal may hold the only copy of a password the database already has: a deleted one stays
    // recoverable, and no data-plane caller (the rotator included) can purge it before the
    // retention ends; only someone allowed to change these account settings could.
    const retention = { enabled: true, days: SOFT_DELETE_RETENTION_DAYS };
    this.blobService = new storage.BlobServiceProperties(
      `${name}-blob-service`,
      {
        ...group,
        accountName: this.storageAccount.name,
        blobServicesName: "default",
        deleteRetentionPolicy: { ...retention, allowPermanentDelete: false },
        containerDeleteRetentionPolicy: retention,
      },
      parent,
    );
    this.blobServiceId = pulumi.interpolate`${this.storageAccount.id}/blobServices/default`;

    const code = rotatorPackage();
    const packageBlob = new storage.Blob(
      `${name}-package`,
      {
        ...group,
        accountName: this.storageAccount.name,
        containerName: packages.name,
        blobName: `rotator-${code.digest}.zip`,
        type: "Block",
        contentType: "application/zip",
        source: code.archive,
      },
      parent,
    );
    const hostStorage = new authorization.RoleAssignment(
      `${name}-host-storage`,
      {
        scope: this.storageAccount.id,
        principalId: this.identity.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: role(STORAGE_BLOB_DATA_OWNER_ROLE_ID),
        description: "Functions host state and the run-from-package download",
      },
      parent,
    );

    const premium = (args.plan ?? "consumption") === "premium";
    const servicePlan = new web.AppServicePlan(
      `${name}-plan`,
      {
        ...group,
        name: `asp-airflow-rotator-${args.environment}`,
        location: args.location,
        kind: premium ? "elastic" : "functionapp",
        reserved: true,
        sku: premium ? { name: "EP1", tier: "ElasticPremium" } : { name: "Y1", tier: "Dynamic" },
        ...(premium ? { maximumElasticWorkerCount: 1 } : {}),
        tags: args.tags,
      },
      parent,
    );

    const blobEndpoint = pulumi.interpolate`https://${this.storageAccount.name}.blob.core.windows.net`;
    this.functionApp = new web.WebApp(
      `${name}-function`,
      {
        ...group,
        name: args.functionAppName,
        location: args.location,
        kind: "functionapp,linux",
        reserved: true,
        serverFarmId: servicePlan.id,
        httpsOnly: true,
        identity: { type: "UserAssigned", userAssignedIdentities: [this.identity.id] },
        keyVaultReferenceIdentity: this.identity.id,
        virtualNetworkSubnetId: args.subnetId,
        siteConfig: {
          linuxFxVersion: "Node|20",
          minTlsVersion: "1.2",
          ftpsState: "Disabled",
          http20Enabled: true,
          // One instance: two rotations of one secret can never interleave.
          functionAppScaleLimit: 1,
          vnetRouteAllEnabled: args.subnetId !== undefined,
          appSettings: [
            { name: "FUNCTIONS_EXTENSION_VERSION", value: "~4" },
            { name: "FUNCTIONS_WORKER_RUNTIME", value: "node" },
            {
              name: "WEBSITE_RUN_FROM_PACKAGE",
              value: pulumi.interpolate`${blobEndpoint}/${packages.name}/${packageBlob.name}`,
            },
            { name: "WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID", value: this.identity.id },
            { name: "AzureWebJobsStorage__accountName", value: this.storageAccount.name },
            { name: "AzureWebJobsStorage__credential", value: "managedidentity" },
            { name: "AzureWebJobsStorage__clientId", value: this.identity.clientId },
            { name: "AZURE_CLIENT_ID", value: this.identity.clientId },
            {
              name: ROTATION_CONFIG_SETTING,
              value: JSON.stringify(
                rotationConfig(args, { containerUrl: journalContainerUrl(args.storageAccountName) }),
              ),
            },
          ],
        },
        tags: args.tags,
      },
      { parent: this, dependsOn: [hostStorage, this.journalContainer, this.blobService] },
    );

    this.systemTopic = new eventgrid.SystemTopic(
      `${name}-topic`,
      {
        ...group,
        systemTopicName: `evgt-${args.vault.name}`,
        location: args.location,
        source: args.vault.id,
        topicType: "Microsoft.KeyVault.vaults",
        identity: { type: "SystemAssigned" },
        tags: args.tags,
      },
      parent,
    );
    const deadLetterWriter = new authorization.RoleAssignment(
      `${name}-dead-letter-writer`,
      {
        scope: pulumi.interpolate`${this.storageAccount.id}/blobServices/default/containers/${deadLetters.name}`,
        principalId: this.systemTopic.identity.apply((i) => i?.principalId ?? ""),
        principalType: "ServicePrincipal",
        roleDefinitionId: role(STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID),
        description: "Event Grid writes undeliverable rotation events here",
      },
      parent,
    );
    this.eventSubscription = new eventgrid.SystemTopicEventSubscription(
      `${name}-subscription`,
      {
        ...group,
        systemTopicName: this.systemTopic.name,
        eventSubscriptionName: "airflow-secret-rotation",
        destination: {
          endpointType: "AzureFunction",
          resourceId: pulumi.interpolate`${this.functionApp.id}/functions/${ROTATOR_FUNCTION_NAME}`,
          maxEventsPerBatch: 1,
        },
        filter: {
          includedEventTypes: [...ROTATION_EVENT_TYPES],
          advancedFilters: [
            { operatorType: "StringIn", key: "subject", values: args.secrets.map((s) => s.name) },
          ],
        },
        retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
        deadLetterWithResourceIdentity: {
          identity: { type: "SystemAssigned" },
          deadLetterDestination: {
            endpointType: "StorageBlob",
            resourceId: this.storageAccount.id,
            blobContainerName: deadLetters.name,
          },
        },
      },
      { parent: this, dependsOn: [deadLetterWriter] },
    );
    this.registerOutputs({ functionAppId: this.functionApp.id, principalId: this.identity.principalId });
  }
}
