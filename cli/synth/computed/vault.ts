import { ProviderMock } from "./types";

export const vaultMock: ProviderMock = {
  pkg: "vault",
  state(_type, name, inputs) {
    return { path: inputs.path ?? name };
  },
};
