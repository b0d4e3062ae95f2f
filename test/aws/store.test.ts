/**
 * The connection store and access roles as registered: the CMK on every secret, secret wrapping of
 * every value in inputs and outputs, tags, recovery windows, replicas, resource policies, bring-your-
 * own key, the SSM store, IRSA and CI trust, and no IAM user or access key anywhere.
 */
import { installMocks, isSecretValue, resolveOutput } from "../../cli/synth/mockRuntime";
import { countWrapped, findUnwrappedSecrets } from "../support/secrets";
import {
  ACCOUNT,
  EnvironmentsDeployment,
  OIDC_ISSUER,
  OIDC_PROVIDER_ARN,
  awsEnvironmentArgs,
  deployEnvironments,
  passwordOf,
  policyOf,
  resourceNamed,
  resourcesOf,
} from "./harness";
import type { AirflowSecretsEnvironmentConfigArgs } from "../../components/environment";

const run = (...argsList: AirflowSecretsEnvironmentConfigArgs[]) => deployEnvironments("store", ...argsList);

const SECRET = "aws:secretsmanager/secret:Secret";
const VERSION = "aws:secretsmanager/secretVersion:SecretVersion";
const TAGS = {
  "airflow-secrets-environment": "prod",
  owner: "data-platform",
  "managed-by": "airflow-secrets",
};

describe("Secrets Manager store (dev and prod, prod replicated to eu-central-1)", () => {
  let deployed: EnvironmentsDeployment;
  beforeAll(async () => {
    deployed = await run(
      awsEnvironmentArgs("dev"),
      awsEnvironmentArgs("prod", { replicaRegions: ["eu-central-1"] }),
    );
  });

  it("stores one secret per declaration under the contract's names", () => {
    expect(
      resourcesOf(deployed.resources, SECRET)
        .map((s) => s.inputs.name)
        .sort(),
    ).toEqual([
      "airflow/dev/config/fernet_key",
      "airflow/dev/connections/slack_alerts",
      "airflow/dev/connections/warehouse",
      "airflow/dev/variables/alert_email",
      "airflow/prod/config/fernet_key",
      "airflow/prod/connections/slack_alerts",
      "airflow/prod/connections/warehouse",
      "airflow/prod/variables/alert_email",
    ]);
  });

  it("every secret is encrypted with its environment's customer-managed key, replicas with the replica key", () => {
    for (const env of ["dev", "prod"]) {
      const alias = resourceNamed(deployed.resources, "aws:kms/alias:Alias", `${env}-secrets-key-alias`);
      const keyArn = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${alias.inputs.targetKeyId}`;
      const secrets = resourcesOf(deployed.resources, SECRET).filter((s) =>
        String(s.inputs.name).startsWith(`airflow/${env}/`),
      );
      expect(secrets).toHaveLength(4);
      for (const secret of secrets) expect(secret.inputs.kmsKeyId).toBe(keyArn);
    }
    const key = resourceNamed(deployed.resources, "aws:kms/key:Key", "prod-secrets-key-key");
    const replica = resourceNamed(
      deployed.resources,
      "aws:kms/replicaKey:ReplicaKey",
      "prod-secrets-key-replica-eu-central-1",
    );
    expect(key.inputs).toMatchObject({
      multiRegion: true,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      region: "eu-west-1",
    });
    expect(replica.inputs.region).toBe("eu-central-1");
    expect(replica.inputs.policy).toBe(key.inputs.policy);
    for (const secret of resourcesOf(deployed.resources, SECRET).filter((s) =>
      String(s.inputs.name).startsWith("airflow/prod/"),
    )) {
      const replicas = secret.inputs.replicas as Array<{ region: string; kmsKeyId: string }>;
      expect(replicas).toHaveLength(1);
      expect(replicas[0].region).toBe("eu-central-1");
      // A multi-Region replica key: same mrk- id, in the replica's region.
      expect(replicas[0].kmsKeyId).toMatch(/^arn:aws:kms:eu-central-1:123456789012:key\/mrk-/);
    }
    const devKey = resourceNamed(deployed.resources, "aws:kms/key:Key", "dev-secrets-key-key");
    expect(devKey.inputs.multiRegion).toBe(false);
    expect(resourcesOf(deployed.resources, "aws:kms/replicaKey:ReplicaKey")).toHaveLength(1);
  });

  it("every value is a Pulumi secret in the inputs; no password, token or Fernet key appears anywhere in plain text", async () => {
    const versions = resourcesOf(deployed.resources, VERSION);
    expect(versions).toHaveLength(8);
    for (const version of versions) expect(isSecretValue(version.inputs.secretString)).toBe(true);
    const fernetValues = versions
      .filter((v) => v.name.endsWith("fernet_key-value"))
      .map((v) => (v.inputs.secretString as { value: string }).value);
    const needles = [passwordOf("dev"), passwordOf("prod"), "tok-dev-77", "tok-prod-77", ...fernetValues];
    expect(findUnwrappedSecrets(deployed.resources, needles)).toEqual([]);
    for (const needle of needles) expect(countWrapped(deployed.resources, needle)).toBeGreaterThan(0);
  });

  it("stack outputs carry no secret value", async () => {
    for (const env of deployed.envs) {
      const text = JSON.stringify(
        await Promise.all(Object.values(env.backendOutputs).map(async (o) => (await resolveOutput(o)).value)),
      );
      for (const needle of [passwordOf("dev"), passwordOf("prod"), "tok-prod-77"])
        expect(text).not.toContain(needle);
    }
  });

  it("tags say environment, owner and managed-by; recovery window is 30 days in prod and 7 in dev", () => {
    const prod = resourcesOf(deployed.resources, SECRET).filter((s) =>
      String(s.inputs.name).startsWith("airflow/prod/"),
    );
    const dev = resourcesOf(deployed.resources, SECRET).filter((s) =>
      String(s.inputs.name).startsWith("airflow/dev/"),
    );
    expect(prod.length).toBeGreaterThan(0);
    expect(dev.length).toBeGreaterThan(0);
    for (const secret of prod) {
      expect(secret.inputs.tags).toMatchObject(TAGS);
      expect(secret.inputs.recoveryWindowInDays).toBe(30);
    }
    for (const secret of dev) expect(secret.inputs.recoveryWindowInDays).toBe(7);
    for (const type of ["aws:kms/key:Key", "aws:iam/role:Role", "aws:iam/policy:Policy"]) {
      const tagged = resourcesOf(deployed.resources, type).filter((r) => r.name.startsWith("prod-"));
      expect(tagged.length).toBeGreaterThan(0);
      for (const r of tagged) {
        expect(r.inputs.tags).toMatchObject(TAGS);
      }
    }
  });

  it("every secret carries its own resource policy, which denies only GetSecretValue to others (never public)", () => {
    // One resource per secret fewer: no separate SecretPolicy, the policy is the Secret's input.
    expect(resourcesOf(deployed.resources, "aws:secretsmanager/secretPolicy:SecretPolicy")).toEqual([]);
    const policies = resourcesOf(deployed.resources, SECRET);
    expect(policies).toHaveLength(8);
    for (const policy of policies) {
      const doc = policyOf(policy) as {
        Statement: Array<{
          Effect: string;
          Action: unknown;
          Condition: Record<string, Record<string, string[]>>;
        }>;
      };
      expect(doc.Statement.map((s) => [s.Effect, s.Action])).toEqual([
        ["Deny", "secretsmanager:GetSecretValue"],
      ]);
      const env = policy.name.split("-")[0];
      expect(doc.Statement[0].Condition.ArnNotEquals["aws:PrincipalArn"]).toEqual([
        `arn:aws:iam::${ACCOUNT}:role/airflow-${env}-secrets-reader`,
        `arn:aws:iam::${ACCOUNT}:role/platform-pulumi-deployer`,
      ]);
    }
  });

  it("prod protects only what cannot be recreated: Fernet key and secret, the secrets and audit keys; dev nothing", () => {
    const prodProtected = deployed.resources
      .filter((r) => r.protect && r.name.startsWith("prod-"))
      .map((r) => r.name)
      .sort();
    expect(prodProtected).toEqual([
      "prod-audit-key",
      "prod-fernet-2026-q3",
      "prod-secrets-config-fernet_key",
      "prod-secrets-key-key",
      "prod-secrets-key-replica-eu-central-1",
    ]);
    expect(deployed.resources.filter((r) => r.protect && r.name.startsWith("dev-"))).toEqual([]);
  });

  it("no IAM user or access key exists; Airflow's service account carries the reader role through IRSA", async () => {
    expect(
      deployed.resources.filter((r) => /^aws:iam\/(user|accessKey|userPolicy|loginProfile)/.test(r.type)),
    ).toEqual([]);
    const sa = resourceNamed(deployed.resources, "kubernetes:core/v1:ServiceAccount", "prod-airflow-sa");
    const readerRoleArn = (await resolveOutput(deployed.envs[1].backendOutputs.readerRoleArn)).value;
    expect((sa.inputs.metadata as { annotations: Record<string, string> }).annotations).toEqual({
      "eks.amazonaws.com/role-arn": readerRoleArn,
    });
    expect(readerRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/airflow-prod-secrets-reader`);
  });

  it("the reader role trusts only the environment's service account through the cluster's OIDC provider", () => {
    const trust = policyOf(
      resourceNamed(deployed.resources, "aws:iam/role:Role", "prod-access-reader"),
      "assumeRolePolicy",
    );
    expect(trust).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AirflowServiceAccountThroughIrsa",
          Effect: "Allow",
          Principal: { Federated: OIDC_PROVIDER_ARN },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              [`${OIDC_ISSUER}:sub`]: "system:serviceaccount:airflow-prod:airflow",
              [`${OIDC_ISSUER}:aud`]: "sts.amazonaws.com",
            },
          },
        },
      ],
    });
  });

  it("the CI writer role trusts GitHub Actions of one repository and environment, through OIDC", () => {
    const trust = policyOf(
      resourceNamed(deployed.resources, "aws:iam/role:Role", "prod-access-writer"),
      "assumeRolePolicy",
    ) as {
      Statement: Array<{ Principal: unknown; Condition: Record<string, Record<string, unknown>> }>;
    };
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0].Principal).toEqual({
      Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
    });
    expect(trust.Statement[0].Condition.StringEquals).toEqual({
      "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
      "token.actions.githubusercontent.com:sub": ["repo:acme/airflow-secrets:environment:prod"],
    });
  });
});

describe("variants", () => {
  it("bring-your-own key: no key is created and every secret uses the given ARN", async () => {
    const keyArn = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const { resources } = await run(awsEnvironmentArgs("staging", { kms: { existing: { keyArn } } }));
    expect(resourcesOf(resources, "aws:kms/key:Key")).toEqual([]);
    for (const secret of resourcesOf(resources, SECRET)) expect(secret.inputs.kmsKeyId).toBe(keyArn);
    const reader = policyOf(
      resourceNamed(resources, "aws:iam/rolePolicy:RolePolicy", "staging-access-reader-policy"),
    ) as {
      Statement: Array<{ Resource: unknown }>;
    };
    expect(reader.Statement[1].Resource).toEqual([keyArn]);
  });

  it("without a CI trust only the writer policy exists (attach it to your CI identity); enabled: false removes it", async () => {
    const { resources } = await run(
      awsEnvironmentArgs("qa", { ciWriter: {} }),
      awsEnvironmentArgs("sandbox", { ciWriter: { enabled: false } }),
    );
    expect(resourcesOf(resources, "aws:iam/policy:Policy").map((p) => p.name)).toEqual([
      "qa-access-writer-policy",
    ]);
    expect(
      resourcesOf(resources, "aws:iam/role:Role")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["qa-access-reader", "sandbox-access-reader"]);
  });

  it("recovery window 0 (force delete) is accepted outside production", async () => {
    const { resources } = await run(awsEnvironmentArgs("dev", { recoveryWindowDays: 0 }));
    for (const secret of resourcesOf(resources, SECRET)) expect(secret.inputs.recoveryWindowInDays).toBe(0);
  });

  it("SSM store: SecureString parameters with the key, tier by size, read through ssm only", async () => {
    const big = "x".repeat(5000);
    const args = awsEnvironmentArgs("dev", { store: "ssm", deployerRoleArns: undefined });
    args.declarations.variables = [...(args.declarations.variables ?? []), { key: "big_blob", value: big }];
    const { resources, envs } = await run(args);
    expect(resourcesOf(resources, SECRET)).toEqual([]);
    const parameters = resourcesOf(resources, "aws:ssm/parameter:Parameter");
    expect(parameters.map((p) => p.inputs.name).sort()).toEqual([
      "/airflow/dev/config/fernet_key",
      "/airflow/dev/connections/slack_alerts",
      "/airflow/dev/connections/warehouse",
      "/airflow/dev/variables/alert_email",
      "/airflow/dev/variables/big_blob",
    ]);
    const alias = resourceNamed(resources, "aws:kms/alias:Alias", "dev-secrets-key-alias");
    for (const parameter of parameters) {
      expect(parameter.inputs.type).toBe("SecureString");
      expect(parameter.inputs.keyId).toBe(`arn:aws:kms:eu-west-1:${ACCOUNT}:key/${alias.inputs.targetKeyId}`);
      expect(isSecretValue(parameter.inputs.value)).toBe(true);
      expect(parameter.inputs.tier).toBe(
        parameter.inputs.name === "/airflow/dev/variables/big_blob" ? "Advanced" : "Standard",
      );
    }
    const reader = policyOf(
      resourceNamed(resources, "aws:iam/rolePolicy:RolePolicy", "dev-access-reader-policy"),
    ) as {
      Statement: Array<{ Action: unknown; Resource: unknown; Condition?: unknown }>;
    };
    expect(reader.Statement[0].Action).toEqual(["ssm:GetParameter"]);
    expect(reader.Statement[0].Resource).toContain(
      `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/airflow/dev/connections/*`,
    );
    expect(reader.Statement[1].Condition).toEqual({
      StringEquals: { "kms:ViaService": ["ssm.eu-west-1.amazonaws.com"] },
    });
    expect(envs[0].airflowConfig.backendClass).toBe(
      "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend",
    );
    expect(envs[0].airflowConfig.backendKwargs).toMatchObject({
      connections_prefix: "/airflow/dev/connections",
      region_name: "eu-west-1",
    });
    expect(findUnwrappedSecrets(resources, [passwordOf("dev"), big])).toEqual([]);
  });

  it("the store exposes values only as secret outputs", async () => {
    installMocks({ project: "airflow-secrets", stack: "store-direct" });
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { SecretsManagerStore } = require("../../components/aws") as typeof import("../../components/aws");
    const { planSecrets } = require("../../components/airflow") as typeof import("../../components/airflow");
    const plan = planSecrets({
      backend: "aws-secrets-manager",
      environment: "dev",
      airflow: { version: "2.10" },
      declarations: {
        connections: [{ conn_id: "db", conn_type: "postgres", host: "h", password: "direct-pw" }],
      },
    });
    const store = new SecretsManagerStore("direct", {
      environment: "dev",
      region: "eu-west-1",
      secrets: plan.secrets,
      kmsKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      readerRoleArns: [`arn:aws:iam::${ACCOUNT}:role/reader`],
      deployerRoleArns: [`arn:aws:iam::${ACCOUNT}:role/deployer`],
    });
    const stored = store.secrets["airflow/dev/connections/db"];
    const output = await resolveOutput(stored.version.secretString);
    expect(output.secret).toBe(true);
    expect(JSON.parse(output.value as string)).toMatchObject({
      conn_type: "postgres",
      password: "direct-pw",
    });
  });
});
