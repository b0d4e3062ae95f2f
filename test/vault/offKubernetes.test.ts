/**
 * `kubernetes: false` with the Vault backend (MWAA, Astronomer on AWS): Airflow logs in with Vault's
 * AWS IAM auth as the IAM role it runs as. The role binds exactly those ARNs to the reader policy,
 * whose ACL (HCL evaluated) reads this environment's paths only; no Kubernetes resource or role.
 */
import { installMocks } from "../../cli/synth/mockRuntime";
import { Problems } from "../../components/airflow";
import {
  AirflowSecretsEnvironment,
  AirflowSecretsEnvironmentConfigArgs,
  prepareEnvironment,
} from "../../components/environment";
import { VaultAcl } from "../support/vaultAcl";

const session = installMocks({ project: "airflow-secrets", stack: "staging-mwaa" });
const MWAA_ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonMWAA-staging";

const args = (
  vault: Record<string, unknown> = {},
  extra: Partial<AirflowSecretsEnvironmentConfigArgs> = {},
): AirflowSecretsEnvironmentConfigArgs => ({
  environment: "staging",
  backend: "vault",
  airflow: { version: "2.10" },
  kubernetes: false,
  backendSettings: {
    address: "https://vault.nonprod.internal:8200",
    kv: { mount: "airflow" },
    awsAuth: { airflowRoleArns: [MWAA_ROLE] },
    ...vault,
  },
  declarations: {
    connections: [
      { conn_id: "warehouse", conn_type: "postgres", host: "db", login: "a", password: "pw-Zq9" },
    ],
    variables: [{ key: "alert_email", value: "a@example.com" }],
  },
  ...extra,
});

const problemsOf = (a: AirflowSecretsEnvironmentConfigArgs) => {
  const problems = new Problems();
  prepareEnvironment(a, problems);
  return problems.list.map((p) => `${p.path}: ${p.rule}`);
};

describe("Vault backend with kubernetes: false", () => {
  let environment: AirflowSecretsEnvironment;
  beforeAll(async () => {
    environment = AirflowSecretsEnvironment.fromConfig("staging", args());
    await session.settle();
  });
  const ofType = (type: string) => session.resources.filter((r) => r.type === type);

  it("registers the store, policies and an AWS IAM auth role, and nothing of Kubernetes", () => {
    expect(session.resources.length).toBeGreaterThan(0);
    expect(ofType("vault:kv/secretV2:SecretV2").length).toBeGreaterThan(0);
    expect(
      session.resources.filter(
        (r) => r.type.startsWith("kubernetes:") || r.type.startsWith("vault:kubernetes/"),
      ),
    ).toEqual([]);
    expect(environment.helmValues).toBeUndefined();
  });

  it("the role binds exactly the IAM roles Airflow runs as to the reader policy, with short tokens", () => {
    const roles = ofType("vault:aws/authBackendRole:AuthBackendRole");
    expect(roles).toHaveLength(1);
    expect(roles[0].inputs).toEqual({
      backend: "aws",
      role: "airflow-staging",
      authType: "iam",
      boundIamPrincipalArns: [MWAA_ROLE],
      tokenPolicies: ["airflow-staging-reader"],
      tokenTtl: 3600,
      tokenMaxTtl: 14400,
      tokenNoDefaultPolicy: false,
    });
  });

  it("the reader policy reads this environment's paths and nothing else (ACL evaluated)", async () => {
    const policy = ofType("vault:index/policy:Policy").find(
      (p) => p.inputs.name === "airflow-staging-reader",
    )!;
    const reader = await VaultAcl.fromHcl(policy.inputs.policy as string);
    const own = ofType("vault:kv/secretV2:SecretV2").map((s) => `${s.inputs.mount}/data/${s.inputs.name}`);
    expect(own.length).toBeGreaterThan(0);
    for (const path of own) {
      expect(reader.allows("read", path)).toBe(true);
      for (const op of ["create", "update", "patch", "delete"] as const)
        expect([op, reader.allows(op, path)]).toEqual([op, false]);
      expect(reader.allows("read", path.replace("/staging/", "/prod/"))).toBe(false);
    }
  });

  it("Airflow's VaultBackend logs in with aws_iam as that role", () => {
    const kwargs = JSON.parse(environment.airflowConfig.env.AIRFLOW__SECRETS__BACKEND_KWARGS);
    expect(kwargs).toMatchObject({
      auth_type: "aws_iam",
      role_id: "airflow-staging",
      url: "https://vault.nonprod.internal:8200",
    });
    expect(kwargs).not.toHaveProperty("kubernetes_role");
    expect(kwargs).not.toHaveProperty("auth_mount_point");
    expect(kwargs).not.toHaveProperty("secret_id");
  });
});

describe("the Vault target's identity fields", () => {
  it("off Kubernetes: awsAuth is required and kubernetesAuth refused, each at its field", () => {
    expect(problemsOf(args({ awsAuth: undefined }))).toEqual([
      expect.stringMatching(/^vault\.awsAuth: is required with kubernetes: false/),
    ]);
    expect(problemsOf(args({ kubernetesAuth: { mount: "kubernetes" } }))).toEqual([
      expect.stringMatching(/^vault\.kubernetesAuth: is Kubernetes auth's and kubernetes is false/),
    ]);
  });

  it("refuses a wildcard or malformed role without quoting it, and names another mount in the kwargs", () => {
    const problems = problemsOf(
      args({ awsAuth: { airflowRoleArns: ["arn:aws:iam::123456789012:role/Qz7*"] } }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^vault\.awsAuth\.airflowRoleArns\[0\]: must be an IAM role ARN/),
    ]);
    expect(problems.join("\n")).not.toContain("Qz7");
    const prepared = prepareEnvironment(
      args({ awsAuth: { airflowRoleArns: [MWAA_ROLE], mount: "aws-mwaa" } }),
      new Problems(),
    )!;
    expect(
      JSON.parse(prepared.resolved.plan.airflowConfig.env.AIRFLOW__SECRETS__BACKEND_KWARGS).auth_mount_point,
    ).toBe("aws-mwaa");
  });

  it("on Kubernetes: awsAuth is refused", () => {
    expect(problemsOf(args({}, { kubernetes: { namespace: "airflow", serviceAccount: "airflow" } }))).toEqual(
      [expect.stringMatching(/^vault\.awsAuth: applies only with kubernetes: false/)],
    );
  });
});
