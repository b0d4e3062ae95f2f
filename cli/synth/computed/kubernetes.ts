import { ProviderMock } from "./types";

export const kubernetesMock: ProviderMock = {
  pkg: "kubernetes",
  state(_type, name, inputs) {
    const metadata = (inputs.metadata as Record<string, unknown> | undefined) ?? {};
    return { metadata: { ...metadata, name: metadata.name ?? name } };
  },
};
