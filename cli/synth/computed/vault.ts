import { createHash } from "crypto";
import { ProviderMock } from "./types";

/** A stable stand-in for what Vault generates (mount accessors): same inputs, same value. */
const shortHash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 8);

export const vaultMock: ProviderMock = {
  pkg: "vault",
  state(type, name, inputs) {
    switch (type) {
      case "vault:index/mount:Mount":
        return { path: inputs.path, accessor: `${inputs.type}_${shortHash(String(inputs.path))}` };
      case "vault:index/policy:Policy":
        return { name: inputs.name ?? name };
      case "vault:index/audit:Audit":
        return { path: inputs.path ?? inputs.type };
      case "vault:kv/secretV2:SecretV2":
        // The provider's id and `path` are the data path it writes.
        return { path: `${inputs.mount}/data/${inputs.name}` };
      case "vault:kubernetes/authBackendRole:AuthBackendRole":
      case "vault:jwt/authBackendRole:AuthBackendRole":
        return { roleName: inputs.roleName, backend: inputs.backend };
      case "vault:database/secretBackendConnection:SecretBackendConnection":
      case "vault:database/secretBackendRole:SecretBackendRole":
      case "vault:database/secretBackendStaticRole:SecretBackendStaticRole":
        return { name: inputs.name ?? name, backend: inputs.backend };
      default:
        return { path: inputs.path ?? name };
    }
  },
};
