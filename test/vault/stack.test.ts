/**
 * The staging stack file as `npm run synth -- --stack staging` runs it: Vault resources under the
 * environment, secrets redacted, and the Airflow configuration that reads them.
 */
import * as path from "path";
import { findProject, stackConfigFile } from "../../cli/synth/stackFile";
import { SECRET_MARK, SynthResult, synthesize, synthText } from "../../cli/synth/synth";
import { isSecretValue } from "../../cli/synth/mockRuntime";

let result: SynthResult;

beforeAll(async () => {
  const project = findProject(path.join(__dirname, "..", ".."));
  result = await synthesize({ project, stack: "staging", configFile: stackConfigFile(project, "staging") });
}, 60000);

const ofType = (type: string) => result.resources.filter((r) => r.type === type);

test("staging deploys the Vault store, policies, roles, database engine and audit device", () => {
  const counts = Object.fromEntries(
    [
      "vault:index/mount:Mount",
      "vault:kv/secretBackendV2:SecretBackendV2",
      "vault:kv/secretV2:SecretV2",
      "vault:index/policy:Policy",
      "vault:kubernetes/authBackendRole:AuthBackendRole",
      "vault:jwt/authBackendRole:AuthBackendRole",
      "vault:database/secretBackendConnection:SecretBackendConnection",
      "vault:database/secretBackendRole:SecretBackendRole",
      "vault:database/secretBackendStaticRole:SecretBackendStaticRole",
      "vault:index/audit:Audit",
    ].map((type) => [type, ofType(type).length]),
  );
  expect(counts).toEqual({
    "vault:index/mount:Mount": 2,
    "vault:kv/secretBackendV2:SecretBackendV2": 1,
    "vault:kv/secretV2:SecretV2": 5,
    "vault:index/policy:Policy": 2,
    "vault:kubernetes/authBackendRole:AuthBackendRole": 1,
    "vault:jwt/authBackendRole:AuthBackendRole": 1,
    "vault:database/secretBackendConnection:SecretBackendConnection": 1,
    "vault:database/secretBackendRole:SecretBackendRole": 2,
    "vault:database/secretBackendStaticRole:SecretBackendStaticRole": 1,
    "vault:index/audit:Audit": 1,
  });
});

test("stored values and the database root password stay secret in the synthesized output", () => {
  for (const secret of ofType("vault:kv/secretV2:SecretV2"))
    expect((secret.inputs as Record<string, unknown>).dataJson).toBe(SECRET_MARK);
  const connection = result.raw.find(
    (r) => r.type === "vault:database/secretBackendConnection:SecretBackendConnection",
  )!;
  expect(isSecretValue(connection.inputs.postgresql)).toBe(true);
  expect(JSON.stringify(result.resources)).not.toContain("v1:EXAMPLE");
});

test("Airflow reads Vault with Kubernetes auth at the staging paths", () => {
  expect(result.airflowConfig?.env.AIRFLOW__SECRETS__BACKEND).toBe(
    "airflow.providers.hashicorp.secrets.vault.VaultBackend",
  );
  expect(JSON.parse(result.airflowConfig!.env.AIRFLOW__SECRETS__BACKEND_KWARGS)).toEqual({
    url: "https://vault.nonprod.internal:8200",
    mount_point: "airflow",
    connections_path: "staging/connections",
    variables_path: "staging/variables",
    config_path: "staging/config",
    kv_engine_version: 2,
    auth_type: "kubernetes",
    kubernetes_jwt_path: "/var/run/secrets/vault/token",
    kubernetes_role: "airflow-staging",
    verify: "/etc/ssl/certs/vault-ca.pem",
  });
  const text = synthText(result);
  expect(text).toContain("vault:kv/secretV2:SecretV2  staging-vault-kv-connection-warehouse");
  expect(text).toContain("vaultReaderPolicy: airflow-staging-reader");
});
