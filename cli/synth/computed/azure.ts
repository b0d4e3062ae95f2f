import { createHash } from "crypto";
import { ProviderMock } from "./types";

export const MOCK_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";
export const MOCK_TENANT = "11111111-1111-1111-1111-111111111111";

/** A GUID derived from a seed, so synth output is stable between runs. */
export function mockGuid(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Which input holds the physical name, and the ARM path below the resource group, per type token. */
const ARM_PATHS: Record<string, (inputs: Record<string, unknown>, name: string) => { physical: string; path: string }> = {
  "azure-native:keyvault:Vault": (i, n) => named(i.vaultName, n, (p) => `Microsoft.KeyVault/vaults/${p}`),
  "azure-native:keyvault:Secret": (i, n) => named(i.secretName, n, (p) => `Microsoft.KeyVault/vaults/${i.vaultName}/secrets/${p}`),
  "azure-native:managedidentity:UserAssignedIdentity": (i, n) =>
    named(i.resourceName, n, (p) => `Microsoft.ManagedIdentity/userAssignedIdentities/${p}`),
  "azure-native:managedidentity:FederatedIdentityCredential": (i, n) =>
    named(i.federatedIdentityCredentialResourceName, n, (p) => `Microsoft.ManagedIdentity/userAssignedIdentities/${i.resourceName}/federatedIdentityCredentials/${p}`),
  "azure-native:operationalinsights:Workspace": (i, n) => named(i.workspaceName, n, (p) => `Microsoft.OperationalInsights/workspaces/${p}`),
  "azure-native:monitor:ScheduledQueryRule": (i, n) => named(i.ruleName, n, (p) => `Microsoft.Insights/scheduledQueryRules/${p}`),
  "azure-native:storage:StorageAccount": (i, n) => named(i.accountName, n, (p) => `Microsoft.Storage/storageAccounts/${p}`),
  "azure-native:storage:BlobContainer": (i, n) =>
    named(i.containerName, n, (p) => `Microsoft.Storage/storageAccounts/${i.accountName}/blobServices/default/containers/${p}`),
  "azure-native:storage:Blob": (i, n) => named(i.blobName, n, (p) => `Microsoft.Storage/storageAccounts/${i.accountName}/blobServices/default/containers/${i.containerName}/blobs/${p}`),
  "azure-native:web:AppServicePlan": (i, n) => named(i.name, n, (p) => `Microsoft.Web/serverfarms/${p}`),
  "azure-native:web:WebApp": (i, n) => named(i.name, n, (p) => `Microsoft.Web/sites/${p}`),
  "azure-native:eventgrid:SystemTopic": (i, n) => named(i.systemTopicName, n, (p) => `Microsoft.EventGrid/systemTopics/${p}`),
  "azure-native:eventgrid:SystemTopicEventSubscription": (i, n) =>
    named(i.eventSubscriptionName, n, (p) => `Microsoft.EventGrid/systemTopics/${i.systemTopicName}/eventSubscriptions/${p}`),
};

function named(input: unknown, fallback: string, path: (physical: string) => string): { physical: string; path: string } {
  const physical = typeof input === "string" ? input : fallback;
  return { physical, path: path(physical) };
}

export const azureMock: ProviderMock = {
  pkg: "azure-native",
  state(type, name, inputs) {
    const group = (inputs.resourceGroupName as string | undefined) ?? "synth-rg";
    const groupId = `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/${group}`;
    // Extension resources live below the scope they are attached to.
    if (type === "azure-native:authorization:RoleAssignment") {
      const guid = mockGuid(`assignment:${name}`);
      return { id: `${inputs.scope}/providers/Microsoft.Authorization/roleAssignments/${guid}`, name: guid };
    }
    if (type === "azure-native:authorization:RoleDefinition") {
      const guid = mockGuid(`role:${name}`);
      return { id: `/subscriptions/${MOCK_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${guid}`, name: guid };
    }
    if (type === "azure-native:monitor:DiagnosticSetting") {
      return { id: `${inputs.resourceUri}/providers/Microsoft.Insights/diagnosticSettings/${inputs.name ?? name}`, name: inputs.name ?? name };
    }
    const [, mod, res] = type.split(":");
    const { physical, path } = ARM_PATHS[type]?.(inputs, name) ?? named(inputs.resourceName, name, (p) => `Microsoft.${mod}/${res}/${p}`);
    const state: Record<string, unknown> = { id: `${groupId}/providers/${path}`, name: physical };
    if (type === "azure-native:keyvault:Vault") {
      state.properties = { ...(inputs.properties as object), vaultUri: `https://${physical}.vault.azure.net/` };
    }
    if (type === "azure-native:managedidentity:UserAssignedIdentity") {
      Object.assign(state, { principalId: mockGuid(`principal:${physical}`), clientId: mockGuid(`client:${physical}`), tenantId: MOCK_TENANT });
    }
    const identity = inputs.identity as { type?: string } | undefined;
    if (identity?.type === "SystemAssigned") {
      state.identity = { ...identity, principalId: mockGuid(`principal:${type}:${physical}`), tenantId: MOCK_TENANT };
    }
    return state;
  },
  invokes: {
    "azure-native:authorization:getClientConfig": () => ({
      clientId: "synth-client",
      objectId: "synth-object",
      subscriptionId: MOCK_SUBSCRIPTION,
      tenantId: MOCK_TENANT,
    }),
  },
};
