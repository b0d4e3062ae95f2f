import { prodKeysProtected as policy } from "../../policies/policies";
import { resource, secret, violations } from "./harness";

describe("prod-keys-protected", () => {
  it("passes protected keys and Fernet key copies in production", async () => {
    const resources = [
      resource("prod", "aws:kms/key:Key", "secrets-key", { enableKeyRotation: true }, { protect: true }),
      resource(
        "prod",
        "random:index/randomBytes:RandomBytes",
        "prod-fernet-2026-q4",
        { length: 32 },
        {
          protect: true,
          parents: ["airflow-secrets:index:AirflowSecretsEnvironment", "airflow-secrets:fernet:FernetKey"],
        },
      ),
      resource(
        "prod",
        "aws:secretsmanager/secret:Secret",
        "fernet",
        { name: "airflow/prod/config/fernet_key" },
        { protect: true },
      ),
    ];
    expect(await violations(policy, resources)).toEqual([]);
  });

  it("reports unprotected KMS keys, key vaults, Fernet generations and stored Fernet keys", async () => {
    const fernetParents = {
      parents: ["airflow-secrets:index:AirflowSecretsEnvironment", "airflow-secrets:fernet:FernetKey"],
    };
    const resources = [
      resource("prod", "gcp:kms/cryptoKey:CryptoKey", "secrets", { rotationPeriod: "7776000s" }),
      resource("prod", "azure-native:keyvault:Vault", "kv", { properties: {} }),
      resource(
        "prod",
        "random:index/randomBytes:RandomBytes",
        "prod-fernet-2026-q4",
        { length: 32 },
        fernetParents,
      ),
      resource("prod", "azure-native:keyvault:Secret", "fernet", {
        secretName: "airflow-prod-config-fernet-key",
        properties: secret({ value: "k" }),
      }),
      resource("prod", "kubernetes:core/v1:Secret", "env", {
        stringData: secret({ AIRFLOW__CORE__FERNET_KEY: "k" }),
      }),
    ];
    expect(await violations(policy, resources)).toEqual([
      'KMS crypto key "secrets" is not protected: a delete would destroy it.',
      'Key Vault "kv" is not protected: a delete would destroy it.',
      'Fernet key generation "prod-fernet-2026-q4" is not protected: a delete would destroy it.',
      'stored Fernet key "fernet" is not protected: a delete would destroy it.',
      'Kubernetes Secret holding the Fernet key "env" is not protected: a delete would destroy it.',
    ]);
  });

  it("leaves other random bytes, other secrets and non-production stacks alone", async () => {
    const resources = [
      resource("prod", "random:index/randomBytes:RandomBytes", "salt", { length: 16 }),
      resource("prod", "aws:secretsmanager/secret:Secret", "w", {
        name: "airflow/prod/connections/warehouse",
      }),
      resource("dev", "aws:kms/key:Key", "secrets-key", { enableKeyRotation: true }),
    ];
    expect(await violations(policy, resources)).toEqual([]);
  });
});
