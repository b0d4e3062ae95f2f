import { createHash } from "crypto";
import { ProviderMock } from "./types";

export const MOCK_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";
export const MOCK_TENANT = "11111111-1111-1111-1111-111111111111";

/** A GUID derived from a seed, so synth output is stable between runs. */
export function mockGuid(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The input holding each type's physical name (the mock runtime itself supplies `id`). */
const NAME_INPUTS: Record<string, string> = {
  "azure-native:keyvault:Vault": "vaultName",
  "azure-native:keyvault:Secret": "secretName",
  "azure-native:managedidentity:UserAssignedIdentity": "resourceName",
  "azure-native:managedidentity:FederatedIdentityCredential": "federatedIdentityCredentialResourceName",
  "azure-native:operationalinsights:Workspace": "workspaceName",
  "azure-native:monitor:ScheduledQueryRule": "ruleName",
  "azure-native:storage:StorageAccount": "accountName",
  "azure-native:storage:BlobContainer": "containerName",
  "azure-native:storage:Blob": "blobName",
  "azure-native:eventgrid:SystemTopic": "systemTopicName",
  "azure-native:eventgrid:SystemTopicEventSubscription": "eventSubscriptionName",
  "azure-native:authorization:RoleDefinition": "roleName",
};

export const azureMock: ProviderMock = {
  pkg: "azure-native",
  state(type, name, inputs) {
    const input = inputs[NAME_INPUTS[type] ?? "name"] ?? inputs.resourceName;
    const physical = typeof input === "string" ? input : name;
    const state: Record<string, unknown> = { name: physical };
    if (type === "azure-native:keyvault:Vault") {
      state.properties = {
        ...(inputs.properties as object),
        vaultUri: `https://${physical}.vault.azure.net/`,
      };
    }
    if (type === "azure-native:managedidentity:UserAssignedIdentity") {
      Object.assign(state, {
        principalId: mockGuid(`principal:${physical}`),
        clientId: mockGuid(`client:${physical}`),
        tenantId: MOCK_TENANT,
      });
    }
    const identity = inputs.identity as { type?: string } | undefined;
    if (identity?.type === "SystemAssigned") {
      state.identity = {
        ...identity,
        principalId: mockGuid(`principal:${type}:${physical}`),
        tenantId: MOCK_TENANT,
      };
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
