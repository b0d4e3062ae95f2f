import { secretInputsMarked as policy } from "../../policies/policies";
import { analyze } from "../../cli/check/crossguard";
import { withSecretsVisible } from "../../policies/lib/secretness";
import { resource, runPolicy, secret } from "./harness";

const version = (secretString: unknown) =>
  resource("dev", "aws:secretsmanager/secretVersion:SecretVersion", "warehouse-value", {
    secretId: "arn:x",
    secretString,
  });

describe("secret-inputs-marked", () => {
  it("marks a plain secretString secret before it reaches state, and says so", async () => {
    const analysis = await runPolicy(policy, [version('{"conn_type":"postgres","password":"hunter2"}')]);
    expect(analysis.remediations).toEqual([
      {
        policy: "secret-inputs-marked",
        urn: expect.stringContaining("::warehouse-value"),
        changes: ["secretString: marked secret"],
      },
    ]);
    expect(analysis.violations).toEqual([]);
  });

  it("leaves values that are already secret, wholly or field by field", async () => {
    const kubernetesSecret = resource("dev", "kubernetes:core/v1:Secret", "env", {
      metadata: { name: "airflow" },
      stringData: { AIRFLOW_CONN_A: secret("postgres://a"), AIRFLOW_VAR_B: secret("b") },
    });
    const keyVaultSecret = resource("dev", "azure-native:keyvault:Secret", "kv", {
      secretName: "airflow-dev-connections-a",
      properties: secret({ value: "postgres://a", contentType: "text/plain" }),
    });
    const analysis = await runPolicy(policy, [version(secret("{}")), kubernetesSecret, keyVaultSecret]);
    expect(analysis.remediations).toEqual([]);
  });

  it("marks the whole property when any part of it is plain: a Kubernetes Secret key, a nested Key Vault value", async () => {
    const kubernetesSecret = resource("dev", "kubernetes:core/v1:Secret", "env", {
      stringData: { AIRFLOW_CONN_A: secret("postgres://a"), AIRFLOW_VAR_B: "b" },
    });
    const keyVaultSecret = resource("dev", "azure-native:keyvault:Secret", "kv", {
      properties: { value: "postgres://a", contentType: "text/plain" },
    });
    const analysis = await runPolicy(policy, [kubernetesSecret, keyVaultSecret]);
    expect(analysis.remediations.map((r) => r.changes)).toEqual([
      ["stringData: marked secret"],
      ["properties.value: marked secret"],
    ]);
  });

  it("runs before validations, which (as in CrossGuard) see the remediated value without its secretness", async () => {
    const seen: unknown[] = [];
    const observer = {
      name: "observer",
      description: "records what a validation can see",
      enforcementLevel: "advisory" as const,
      validateResource: (args: { props: Record<string, unknown> }) => {
        seen.push(withSecretsVisible(args.props).secretString);
      },
    };
    const analysis = await analyze([version("plain")], {
      policies: [policy, observer],
      outputsOf: (_r, inputs) => inputs,
    });
    expect(analysis.remediations).toHaveLength(1);
    expect(seen).toEqual(["plain"]);
  });

  it("marks a Vault database connection's root password, and leaves one that is already secret", async () => {
    const connection = (password: unknown) =>
      resource("prod", "vault:database/secretBackendConnection:SecretBackendConnection", "db-connection", {
        backend: "database",
        name: "airflow-prod-warehouse",
        postgresql: {
          connectionUrl: "postgresql://{{username}}:{{password}}@db.prod.internal:5432/warehouse",
          username: "vault_root",
          password,
        },
      });
    expect((await runPolicy(policy, [connection("hunter2")])).remediations.map((r) => r.changes)).toEqual([
      ["postgresql.password: marked secret"],
    ]);
    expect((await runPolicy(policy, [connection(secret("hunter2"))])).remediations).toEqual([]);
  });

  it("only touches SecureString parameters and honours extra properties from config", async () => {
    const parameter = (type: string) =>
      resource("dev", "aws:ssm/parameter:Parameter", "p", {
        name: "/airflow/dev/variables/x",
        type,
        value: "v",
      });
    expect((await runPolicy(policy, [parameter("String")])).remediations).toEqual([]);
    expect((await runPolicy(policy, [parameter("SecureString")])).remediations[0].changes).toEqual([
      "value: marked secret",
    ]);
    const lambda = resource("dev", "aws:lambda/function:Function", "fn", {
      environment: { variables: { TOKEN: "t", MODE: "m" } },
    });
    const config = {
      "secret-inputs-marked": {
        additionalSecretProperties: { "aws:lambda/function:Function": ["environment.variables"] },
      },
    };
    expect((await runPolicy(policy, [lambda], config)).remediations[0].changes).toEqual([
      "environment.variables: marked secret",
    ]);
  });

  it("is a remediation only: at a validating level CrossGuard reports it not applicable", async () => {
    const analysis = await runPolicy(
      policy,
      [version("plain")],
      { "secret-inputs-marked": { enforcementLevel: "mandatory" } },
      { raw: true },
    );
    expect(analysis.remediations).toEqual([]);
    expect(analysis.notApplicable).toEqual([
      {
        policy: "secret-inputs-marked",
        reason: "Policy does not implement validateResource",
        urn: expect.any(String),
      },
    ]);
  });
});
