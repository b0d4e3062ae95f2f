/**
 * The production stack file as `airflow-secrets synth --stack prod` runs it: every AWS component is
 * there, Airflow is pointed at it, and every IAM action any synthesized policy names is one IAM knows.
 */
import * as path from "path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { findProject, stackConfigFile } from "../../cli/synth/stackFile";
import { SECRET_MARK, SynthResult, synthesize } from "../../cli/synth/synth";
import { ACCOUNT } from "./harness";

let result: SynthResult;

beforeAll(async () => {
  const project = findProject(path.join(__dirname, "..", ".."));
  result = await synthesize({ project, stack: "prod", configFile: stackConfigFile(project, "prod") });
});

const count = (type: string) => result.resources.filter((r) => r.type === type).length;

describe("stacks/Pulumi.prod.yaml on the AWS backend", () => {
  it("synthesizes the key, store, access roles, audit sink, both rotation functions and one shared VPC endpoint", () => {
    expect({
      key: count("airflow-secrets:aws:SecretsKmsKey"),
      store: count("airflow-secrets:aws:SecretsManagerStore"),
      access: count("airflow-secrets:aws:SecretsAccessRoles"),
      audit: count("airflow-secrets:aws:SecretsAuditTrail"),
      rotation: count("airflow-secrets:aws:SecretRotationLambda"),
      secrets: count("aws:secretsmanager/secret:Secret"),
      replicaKeys: count("aws:kms/replicaKey:ReplicaKey"),
      rotations: count("aws:secretsmanager/secretRotation:SecretRotation"),
      trails: count("aws:cloudtrail/trail:Trail"),
      alarms: count("aws:cloudwatch/metricAlarm:MetricAlarm"),
      vpcEndpoints: count("aws:ec2/vpcEndpoint:VpcEndpoint"),
    }).toEqual({
      key: 1,
      store: 1,
      access: 1,
      audit: 1,
      // warehouse alternates users; its master, warehouse_admin, rotates itself: one function per strategy.
      rotation: 2,
      secrets: 6,
      replicaKeys: 1,
      rotations: 2,
      trails: 1,
      // Five audit alarms and one errors alarm per rotation function.
      alarms: 7,
      // Private DNS allows one Secrets Manager endpoint per VPC, shared by both functions.
      vpcEndpoints: 1,
    });
    const rotations = result.resources.filter(
      (r) => r.type === "aws:secretsmanager/secretRotation:SecretRotation",
    );
    for (const rotation of rotations) {
      expect(rotation.inputs).toMatchObject({
        rotationRules: { scheduleExpression: "rate(90 days)", duration: "4h" },
      });
    }
  });

  it("points Airflow at Secrets Manager in eu-west-1 with exact lookup patterns and the Fernet key from the store", () => {
    const env = result.airflowConfig!.env;
    expect(env.AIRFLOW__SECRETS__BACKEND).toBe(
      "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
    );
    expect(env.AIRFLOW__CORE__FERNET_KEY_SECRET).toBe("fernet_key");
    const kwargs = JSON.parse(env.AIRFLOW__SECRETS__BACKEND_KWARGS);
    expect(kwargs).toMatchObject({
      region_name: "eu-west-1",
      sep: "/",
      connections_prefix: "airflow/prod/connections",
      config_prefix: "airflow/prod/config",
    });
    // The rotation master is stored but denied to Airflow's reader, so Airflow is never sent to look it up.
    expect(kwargs.connections_lookup_pattern).toBe("^(?-i:slack_alerts|warehouse)\\Z");
    expect(result.outputs.readerRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/airflow-prod-secrets-reader`);
    const sa = result.resources.find((r) => r.type === "kubernetes:core/v1:ServiceAccount")!;
    expect((sa.inputs as { metadata: { annotations: Record<string, string> } }).metadata.annotations).toEqual(
      {
        "eks.amazonaws.com/role-arn": `arn:aws:iam::${ACCOUNT}:role/airflow-prod-secrets-reader`,
      },
    );
  });

  it("shows every stored value only as [secret]", () => {
    for (const version of result.resources.filter(
      (r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion",
    )) {
      expect((version.inputs as { secretString: unknown }).secretString).toBe(SECRET_MARK);
    }
  });

  it("names only IAM actions that exist (iam-simulate validates each; a made-up one is refused)", async () => {
    const actions = new Set<string>();
    const collect = (document: { Statement: Array<{ Action: string | string[] }> }) => {
      for (const statement of document.Statement)
        for (const a of [statement.Action].flat()) if (!a.includes("*")) actions.add(a);
    };
    for (const resource of result.raw) {
      for (const key of ["policy", "assumeRolePolicy"]) {
        const text = resource.inputs[key];
        if (typeof text === "string" && text.startsWith("{")) collect(JSON.parse(text));
      }
    }
    expect(actions.size).toBeGreaterThan(40);
    const unknown: string[] = [];
    for (const action of [...actions, "kms:DecryptEverything"]) {
      const response = await runSimulation(
        {
          request: {
            principal: `arn:aws:iam::${ACCOUNT}:role/probe`,
            action,
            resource: { resource: "*", accountId: ACCOUNT },
            contextVariables: {},
          },
          identityPolicies: [],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      if (response.resultType === "error" && JSON.stringify(response.errors).includes("invalid.action"))
        unknown.push(action);
    }
    expect(unknown).toEqual(["kms:DecryptEverything"]);
  });
});
