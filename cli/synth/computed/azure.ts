import { ProviderMock } from "./types";

export const MOCK_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";
export const MOCK_TENANT = "11111111-1111-1111-1111-111111111111";

export const azureMock: ProviderMock = {
  pkg: "azure-native",
  state(type, name, inputs) {
    const [, mod, res] = type.split(":");
    const group = (inputs.resourceGroupName as string | undefined) ?? "synth-rg";
    const physical =
      (inputs.vaultName as string | undefined) ??
      (inputs.secretName as string | undefined) ??
      (inputs.resourceName as string | undefined) ??
      name;
    const id = `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/${group}/providers/Microsoft.${mod}/${res}/${physical}`;
    return { id, name: physical, principalId: `${name}-principal`, clientId: `${name}-client`, tenantId: MOCK_TENANT };
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
