/**
 * The findings of issue 17, each as a fixture that failed before the pack judged by settings and
 * bindings: run through `airflow-secrets check` (the shipped program, synthesized) or the policies.
 */
import * as fs from "fs";
// Four stacks are synthesized in parallel child processes on a shared machine.
jest.setTimeout(300_000);
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import {
  identityGrantsScoped,
  noPlaintextSecretsInEnvOrTags,
  workloadIdentityBoundExactly,
} from "../../policies/policies";
import { ROOT, Run, cli, failingPolicies } from "./cli";
import { environment, resource, violations } from "./harness";

/** The shipped prod stack with rotation removed and a 7-day KMS deletion window, `production: true`, saved as `stack`. */
function weakenedProd(dir: string, stack: string): string {
  const document = parse(fs.readFileSync(path.join(ROOT, "stacks/Pulumi.prod.yaml"), "utf8"));
  const config = document.config;
  config["airflow-secrets:production"] = true;
  delete config["airflow-secrets:aws"].rotation;
  config["airflow-secrets:aws"].kms = { deletionWindowInDays: 7 };
  for (const connection of config["airflow-secrets:connections"]) delete connection.rotation;
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  fs.writeFileSync(file, stringify(document));
  return file;
}

describe("production is what the stack's settings say, never its name", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "issue17-"));
  const stacks = ["live", "prod", "eu-prod", "production"];
  let runs: Record<string, Promise<Run>>;
  beforeAll(() => {
    runs = Object.fromEntries(
      stacks.map((s) => [s, cli("check", "--config-file", weakenedProd(dir, s), "--json")]),
    );
  });

  it.each(stacks)(
    "stack %s fails on rotation and the KMS window, with no spurious prod-reference finding",
    async (stack) => {
      const run = await runs[stack];
      expect(run.stderr).toBe("");
      expect(run.status).toBe(1);
      expect(failingPolicies(run)).toEqual([
        "kms-key-rotation-and-deletion-window",
        "rotation-within-cadence",
      ]);
    },
  );

  it("gives every name the same violations, message for message", async () => {
    const messages = async (stack: string) => {
      const report = JSON.parse((await runs[stack]).stdout);
      return report.policies
        .flatMap((p: { violations: Array<{ message: string }> }) => p.violations.map((v) => v.message))
        .sort();
    };
    const reference = await messages("live");
    expect(reference.length).toBeGreaterThan(1);
    for (const stack of stacks) expect(await messages(stack)).toEqual(reference);
  });
});

describe("reader grants are judged by what they allow, not what they are called", () => {
  const role = (namespace: string, serviceAccount: string, policies: string[]) =>
    resource("live", "vault:kubernetes/authBackendRole:AuthBackendRole", "airflow-role", {
      boundServiceAccountNames: [serviceAccount],
      boundServiceAccountNamespaces: [namespace],
      tokenPolicies: policies,
    });
  const extras = (name: string) =>
    resource("live", "vault:index/policy:Policy", "extras", {
      name,
      policy: 'path "*" { capabilities = ["read", "list"] }',
    });
  const live = environment("live", { environment: "prod", production: true, namespace: "airflow-prod" });

  it.each(["airflow-prod-extras", "airflow-prod-reader"])(
    "flags a Vault policy named %s granting read and list on *",
    async (name) => {
      expect(await violations(identityGrantsScoped, [live, role("*", "*", [name]), extras(name)])).toEqual([
        'vault:kubernetes/authBackendRole:AuthBackendRole "airflow-role" (Airflow\'s identity) gets list on "*" from Vault policy "' +
          name +
          '"; Airflow only reads.',
        'vault:kubernetes/authBackendRole:AuthBackendRole "airflow-role" (Airflow\'s identity) reads "*" through Vault policy "' +
          name +
          '", outside the "prod" environment.',
        'Vault policy vault:index/policy:Policy "extras" grants list on "*": every secret name of every mount and environment.',
      ]);
      expect(await violations(workloadIdentityBoundExactly, [live, role("*", "*", [name])])).toEqual([
        'vault:kubernetes/authBackendRole:AuthBackendRole "airflow-role" can be assumed by any Kubernetes pod matching namespace "*" and service account "*" (boundServiceAccountNames / boundServiceAccountNamespaces).',
      ]);
    },
  );

  it("flags a raw Vault policy with list on * that nothing is attached to", async () => {
    expect(await violations(identityGrantsScoped, [extras("anything")], {}, { raw: true })).toEqual([
      'Vault policy vault:index/policy:Policy "extras" grants list on "*": every secret name of every mount and environment.',
    ]);
  });
});

describe("plaintext secrets in function and container environments and in tags", () => {
  it("flags a Lambda, a Cloud Function, an Azure Function and a container env, never printing the value", async () => {
    const fixtures = [
      resource("dev", "aws:lambda/function:Function", "fn", {
        environment: { variables: { DB_PASSWORD: "hunter2", MODE: "batch" } },
      }),
      resource("dev", "gcp:cloudfunctionsv2/function:Function", "gfn", {
        serviceConfig: { environmentVariables: { WAREHOUSE: "postgres://airflow:hunter2@db:5432/x" } },
      }),
      resource("dev", "azure-native:web:WebApp", "afn", {
        siteConfig: {
          appSettings: [
            { name: "API_TOKEN", value: "hunter2" },
            {
              name: "REF_TOKEN",
              value: "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/t)",
            },
          ],
        },
      }),
      resource("dev", "kubernetes:apps/v1:Deployment", "worker", {
        spec: {
          template: {
            spec: {
              containers: [
                { name: "w", env: [{ name: "AIRFLOW_CONN_WAREHOUSE", value: "postgres://u:hunter2@h/db" }] },
              ],
            },
          },
        },
      }),
      resource("dev", "aws:s3/bucket:Bucket", "b", { tags: { owner: "data", apiKey: "hunter2" } }),
    ];
    const found = await violations(noPlaintextSecretsInEnvOrTags, fixtures);
    expect(found).toEqual([
      'aws:lambda/function:Function "fn" sets environment variable DB_PASSWORD (environment.variables.DB_PASSWORD) to a plaintext secret: a literal value under a secret\'s name.',
      'gcp:cloudfunctionsv2/function:Function "gfn" sets environment variable WAREHOUSE (serviceConfig.environmentVariables.WAREHOUSE) to a plaintext secret: a URI with a password.',
      'azure-native:web:WebApp "afn" sets environment variable API_TOKEN (siteConfig.appSettings[0]) to a plaintext secret: a literal value under a secret\'s name.',
      'kubernetes:apps/v1:Deployment "worker" sets environment variable AIRFLOW_CONN_WAREHOUSE (spec.template.spec.containers[0].env[0]) to a plaintext secret: a URI with a password.',
      'aws:s3/bucket:Bucket "b" carries a secret in tags.apiKey: a literal value under a secret\'s name.',
    ]);
    expect(found.join("\n")).not.toContain("hunter2");
  });
});
