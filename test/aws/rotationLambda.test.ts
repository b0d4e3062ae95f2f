/**
 * The rotation component: one invoke permission per function scoped to its secrets' ARN prefix, a
 * role that can rotate its secrets and nothing else (iam-simulate), the handler bundle on arm64
 * Node.js 22, schedule wiring, the errors alarm, VPC placement, and production's 90-day cadence.
 */
import { installMocks, RecordedResource } from "../../cli/synth/mockRuntime";
import {
  ACCOUNT,
  REGION,
  allowed,
  awsEnvironmentArgs,
  deployEnvironments,
  policyOf,
  resourceNamed,
  resourcesOf,
  simulate,
} from "./harness";
import type { SecretRotationLambdaArgs } from "../../components/aws";
import { PASSWORD_CHARACTER_CLASSES } from "../../components/rotation";

const secretArnIn = (env: string, name: string, kind = "connections") =>
  `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:airflow/${env}/${kind}/${name}-Ab12Cd`;
const secretArn = (name: string) => secretArnIn("dev", name);
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:airflow-dev-secrets-alarms`;
const VPC = {
  subnetIds: ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60719"],
  securityGroupIds: ["sg-0c1d2e3f4a5b60720"],
};

/** A self-signed CA certificate (P-256), as a private database CA would be given. */
const PRIVATE_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBoTCCAUegAwIBAgIUTh6Ilujwls8Zzvv3nisO9vX5OY4wCgYIKoZIzj0EAwIw
JjEkMCIGA1UEAwwbRXhhbXBsZSBQcml2YXRlIERhdGFiYXNlIENBMB4XDTI2MTEy
MzE4MDgzMVoXDTM2MTEyMDE4MDgzMVowJjEkMCIGA1UEAwwbRXhhbXBsZSBQcml2
YXRlIERhdGFiYXNlIENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEGtBmQsu1
klo4LyJmQmgYhT3G95bGX525OBYbPYqod/PeqWLxu8mY2Upx/vET2DKRZPiHy185
PGxow6l/dAbzRqNTMFEwHQYDVR0OBBYEFJ4RBQWNJYrymC58IY5jbkqnY5IfMB8G
A1UdIwQYMBaAFJ4RBQWNJYrymC58IY5jbkqnY5IfMA8GA1UdEwEB/wQFMAMBAf8w
CgYIKoZIzj0EAwIDSAAwRQIhAMZ7phfK9NcsmoUFmMYEqUH5yX0GbZnlJYucxOhu
+FnfAiBpuDwx0kVGK4k4Y220H1mNkO+aAZAoBzMbIuwMnXi5Jg==
-----END CERTIFICATE-----
`;

const baseArgs = (overrides: Partial<SecretRotationLambdaArgs> = {}): SecretRotationLambdaArgs => ({
  environment: "dev",
  region: REGION,
  strategy: "alternating-users",
  masterSecretArn: secretArn("warehouse_admin"),
  secrets: [
    { id: "warehouse", secretArn: secretArn("warehouse"), schedule: { everyDays: 90 } },
    {
      id: "reporting",
      secretArn: secretArn("reporting"),
      schedule: { scheduleExpression: "cron(0 4 1 * ? *)", duration: "3h" },
    },
  ],
  kmsKeyArn: KEY_ARN,
  vpc: VPC,
  passwordLength: 40,
  alarmTopicArn: TOPIC_ARN,
  ...overrides,
});

async function deploy(name: string, args: SecretRotationLambdaArgs): Promise<RecordedResource[]> {
  const session = installMocks({ project: "airflow-secrets", stack: "rotation" });
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { SecretRotationLambda } = require("../../components/aws") as typeof import("../../components/aws");
  new SecretRotationLambda(name, args);
  await session.settle();
  return session.resources;
}

describe("SecretRotationLambda", () => {
  let resources: RecordedResource[];
  let rolePolicy: Record<string, unknown>;
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/airflow-dev-rotate-alternating-users`;
  beforeAll(async () => {
    resources = await deploy("rot", baseArgs());
    rolePolicy = policyOf(resourceNamed(resources, "aws:iam/rolePolicy:RolePolicy", "rot-role-policy"));
  });

  it("one invoke permission per function, for Secrets Manager, scoped to its secrets' common prefix and account", async () => {
    const permissions = resourcesOf(resources, "aws:lambda/permission:Permission");
    const pattern = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:airflow/dev/connections/*`;
    expect(permissions.map((p) => [p.name, p.inputs.sourceArn])).toEqual([["rot-invoke", pattern]]);
    // Lambda matches SourceArn with ArnLike: evaluated by the simulator on a resource policy of that shape.
    const invokePolicy = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "secretsmanager.amazonaws.com" },
          Action: "lambda:InvokeFunction",
          Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:airflow-dev-rotate-alternating-users`,
          Condition: { ArnLike: { "AWS:SourceArn": pattern } },
        },
      ],
    };
    const invokedFor = (source: string) =>
      simulate({
        principal: "secretsmanager.amazonaws.com",
        action: "lambda:InvokeFunction",
        resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:airflow-dev-rotate-alternating-users`,
        identityPolicies: [],
        resourcePolicy: invokePolicy,
        context: { "aws:SourceArn": source, "aws:SourceAccount": ACCOUNT },
      });
    for (const own of ["warehouse", "reporting"])
      expect(allowed(await invokedFor(secretArn(own)))).toBe(true);
    expect(allowed(await invokedFor(secretArnIn("prod", "warehouse")))).toBe(false);
    expect(allowed(await invokedFor(secretArnIn("dev", "x", "variables")))).toBe(false);
    for (const permission of permissions) {
      expect(permission.inputs).toMatchObject({
        action: "lambda:InvokeFunction",
        principal: "secretsmanager.amazonaws.com",
        sourceAccount: ACCOUNT,
        function: "airflow-dev-rotate-alternating-users",
      });
    }
  });

  it("the role can rotate its secrets and read the master, and nothing more (iam-simulate)", async () => {
    const { secretsKeyPolicy } = require("../../components/aws") as typeof import("../../components/aws");
    // KMS also needs the key policy: the environment key's, which delegates use through Secrets Manager to IAM.
    const keyPolicy = secretsKeyPolicy({
      account: { accountId: ACCOUNT, partition: "aws", dnsSuffix: "amazonaws.com" },
      store: "secretsmanager",
      regions: [REGION],
      readerRoleArns: [],
    });
    const decide = (action: string, resource: string, context?: Record<string, string>) =>
      simulate({
        principal: roleArn,
        action,
        resource,
        identityPolicies: [rolePolicy],
        resourcePolicy: action.startsWith("kms:") ? keyPolicy : undefined,
        context: action.startsWith("kms:") ? { "kms:CallerAccount": ACCOUNT, ...context } : context,
      });
    const own = secretArn("warehouse");
    const other = secretArn("slack_alerts");
    const master = secretArn("warehouse_admin");
    const expectations: Array<[string, string, Record<string, string> | undefined, boolean]> = [
      ["secretsmanager:GetSecretValue", own, undefined, true],
      ["secretsmanager:PutSecretValue", own, undefined, true],
      ["secretsmanager:UpdateSecretVersionStage", own, undefined, true],
      ["secretsmanager:DescribeSecret", own, undefined, true],
      ["secretsmanager:DeleteSecret", own, undefined, false],
      ["secretsmanager:PutResourcePolicy", own, undefined, false],
      ["secretsmanager:RotateSecret", own, undefined, false],
      ["secretsmanager:GetSecretValue", other, undefined, false],
      ["secretsmanager:PutSecretValue", other, undefined, false],
      ["secretsmanager:GetSecretValue", master, undefined, true],
      ["secretsmanager:PutSecretValue", master, undefined, false],
      ["secretsmanager:UpdateSecretVersionStage", master, undefined, false],
      // The handler generates passwords itself (CSPRNG), so it is not granted GetRandomPassword.
      ["secretsmanager:GetRandomPassword", "*", undefined, false],
      ["kms:Decrypt", KEY_ARN, { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` }, true],
      ["kms:GenerateDataKey", KEY_ARN, { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` }, true],
      ["kms:Decrypt", KEY_ARN, undefined, false],
      ["kms:Decrypt", KEY_ARN, { "kms:ViaService": `s3.${REGION}.amazonaws.com` }, false],
      [
        "ec2:CreateNetworkInterface",
        `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/${VPC.subnetIds[0]}`,
        undefined,
        true,
      ],
      [
        "ec2:CreateNetworkInterface",
        `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/subnet-0ffffffffffffffff`,
        undefined,
        false,
      ],
      [
        "logs:PutLogEvents",
        `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/airflow-dev-rotate-alternating-users:log-stream:x`,
        undefined,
        true,
      ],
      [
        "logs:PutLogEvents",
        `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/other:log-stream:x`,
        undefined,
        false,
      ],
    ];
    const rows = [];
    for (const [action, resource, context, expected] of expectations) {
      const decision = await decide(action, resource, context);
      rows.push({
        action,
        resource: resource.split(":").slice(-2).join(":"),
        via: context?.["kms:ViaService"] ?? "",
        decision,
        expected: expected ? "allow" : "deny",
      });
    }
    console.table(rows);
    expect(rows.filter((r) => (r.decision === "Allowed") !== (r.expected === "allow"))).toEqual([]);
  });

  it("without a VPC the role gets no EC2 permission at all", async () => {
    const noVpc = await deploy("novpc", baseArgs({ vpc: undefined, secretsManagerEndpoint: undefined }));
    const policy = policyOf(resourceNamed(noVpc, "aws:iam/rolePolicy:RolePolicy", "novpc-role-policy"));
    const decision = await simulate({
      principal: roleArn,
      action: "ec2:CreateNetworkInterface",
      resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:network-interface/*`,
      identityPolicies: [policy],
    });
    expect(decision).toBe("ImplicitlyDenied");
    expect(JSON.stringify(policy)).not.toContain("ec2:");
    const fn = resourceNamed(noVpc, "aws:lambda/function:Function", "novpc-function");
    expect(fn.inputs.vpcConfig).toBeUndefined();
    expect(resourcesOf(noVpc, "aws:ec2/vpcEndpoint:VpcEndpoint")).toEqual([]);
  });

  it("runs the bundled handler on arm64 Node.js 22 with the environment the handler reads", () => {
    const fn = resourceNamed(resources, "aws:lambda/function:Function", "rot-function");
    expect(fn.inputs).toMatchObject({
      name: "airflow-dev-rotate-alternating-users",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      role: roleArn,
      vpcConfig: { subnetIds: VPC.subnetIds, securityGroupIds: VPC.securityGroupIds },
      loggingConfig: { logFormat: "Text", logGroup: "/aws/lambda/airflow-dev-rotate-alternating-users" },
    });
    expect((fn.inputs.environment as { variables: Record<string, string> }).variables).toEqual({
      ROTATION_STRATEGY: "alternating-users",
      MASTER_SECRET_ARN: secretArn("warehouse_admin"),
      PASSWORD_LENGTH: "40",
      // Node.js 20+ Lambda runtimes do not load the Amazon CAs (RDS among them) unless told to.
      NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
    });
    // The log group the function writes to exists with a retention (30 days outside production).
    const logGroup = resourceNamed(resources, "aws:cloudwatch/logGroup:LogGroup", "rot-logs");
    expect(logGroup.inputs).toMatchObject({
      name: "/aws/lambda/airflow-dev-rotate-alternating-users",
      retentionInDays: 30,
    });
  });

  it("the code is the handler bundle from ./rotation: one index.js exporting the four-step handler", async () => {
    const fn = resourceNamed(resources, "aws:lambda/function:Function", "rot-function");
    const archive = fn.inputs.code as { assets: Promise<Record<string, { text: Promise<string> }>> };
    const assets = await archive.assets;
    expect(Object.keys(assets)).toEqual(["index.js"]);
    const source = await assets["index.js"].text;
    // Load the bundle as Lambda would (the SDK it leaves external is installed here) and check its entry point.
    const loaded = { exports: {} as Record<string, unknown> };
    new Function("module", "exports", "require", source)(loaded, loaded.exports, require);
    expect(typeof loaded.exports.handler).toBe("function");
  });

  it("wires each secret's schedule: every N days, or a cron expression with its window", () => {
    const rotations = Object.fromEntries(
      resourcesOf(resources, "aws:secretsmanager/secretRotation:SecretRotation").map((r) => [
        r.name,
        r.inputs,
      ]),
    );
    expect(rotations["rot-warehouse-rotation"]).toMatchObject({
      secretId: secretArn("warehouse"),
      rotationLambdaArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:airflow-dev-rotate-alternating-users`,
      rotationRules: { automaticallyAfterDays: 90 },
      rotateImmediately: false,
    });
    expect(rotations["rot-reporting-rotation"]).toMatchObject({
      secretId: secretArn("reporting"),
      rotationRules: { scheduleExpression: "cron(0 4 1 * ? *)", duration: "3h" },
    });
  });

  it("alarms on function errors to the given topic", () => {
    const alarm = resourceNamed(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "rot-errors");
    expect(alarm.inputs).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: "airflow-dev-rotate-alternating-users" },
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      alarmActions: [TOPIC_ARN],
    });
  });

  it("uses a shared Secrets Manager interface endpoint with private DNS, reachable from the functions on 443 only", async () => {
    const session = installMocks({ project: "airflow-secrets", stack: "rotation-endpoint" });
    const aws = require("../../components/aws") as typeof import("../../components/aws");
    const shared = new aws.SecretsManagerVpcEndpoint("sm", {
      environment: "dev",
      region: REGION,
      vpcId: "vpc-0d1e2f3a4b5c60721",
      subnetIds: VPC.subnetIds,
      clientSecurityGroupIds: VPC.securityGroupIds,
    });
    new aws.SecretRotationLambda(
      "ep",
      baseArgs({ secretsManagerEndpoint: { vpcEndpoint: shared.endpoint } }),
    );
    await session.settle();
    const endpoint = resourceNamed(session.resources, "aws:ec2/vpcEndpoint:VpcEndpoint", "sm-endpoint");
    expect(endpoint.inputs).toMatchObject({
      vpcId: "vpc-0d1e2f3a4b5c60721",
      serviceName: `com.amazonaws.${REGION}.secretsmanager`,
      vpcEndpointType: "Interface",
      privateDnsEnabled: true,
      subnetIds: VPC.subnetIds,
    });
    const group = resourceNamed(session.resources, "aws:ec2/securityGroup:SecurityGroup", "sm-sg");
    expect(group.inputs.ingress).toEqual([
      {
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        securityGroups: VPC.securityGroupIds,
        description: "rotation functions",
      },
    ]);
    // The function is created after the endpoint, so its first rotation can already resolve the private name.
    const fn = resourceNamed(session.resources, "aws:lambda/function:Function", "ep-function");
    expect(fn.dependencies).toContain(endpoint.urn);
  });

  it("with caCertificates, trusts the given PEM (shipped in the archive) instead of the Amazon bundle", async () => {
    const withCa = await deploy("ca", baseArgs({ caCertificates: PRIVATE_CA_PEM }));
    const fn = resourceNamed(withCa, "aws:lambda/function:Function", "ca-function");
    expect(
      (fn.inputs.environment as { variables: Record<string, string> }).variables.NODE_EXTRA_CA_CERTS,
    ).toBe("/var/task/ca-certificates.pem");
    const archive = fn.inputs.code as { assets: Promise<Record<string, { text: Promise<string> }>> };
    const assets = await archive.assets;
    expect(Object.keys(assets).sort()).toEqual(["ca-certificates.pem", "index.js"]);
    expect(await assets["ca-certificates.pem"].text).toBe(PRIVATE_CA_PEM);
  });

  it("an existing endpoint is passed as SECRETS_MANAGER_ENDPOINT", async () => {
    const withUrl = await deploy(
      "url",
      baseArgs({
        secretsManagerEndpoint: {
          endpointUrl: "https://vpce-0abc.secretsmanager.eu-west-1.vpce.amazonaws.com",
        },
      }),
    );
    const fn = resourceNamed(withUrl, "aws:lambda/function:Function", "url-function");
    expect(
      (fn.inputs.environment as { variables: Record<string, string> }).variables.SECRETS_MANAGER_ENDPOINT,
    ).toBe("https://vpce-0abc.secretsmanager.eu-west-1.vpce.amazonaws.com");
  });
});

describe("rotation cadence and arguments", () => {
  const refusedProblems = async (args: SecretRotationLambdaArgs) => {
    const session = installMocks({ project: "airflow-secrets", stack: "rotation-invalid" });
    const { SecretRotationLambda } = require("../../components/aws") as typeof import("../../components/aws");
    let message = "";
    try {
      new SecretRotationLambda("bad", args);
    } catch (error) {
      message = (error as Error).message;
    }
    await session.settle();
    expect(session.resources).toEqual([]);
    return message;
  };

  it.each([
    [{ everyDays: 91 }, /at most 90 days \(got 91\)/],
    [{ scheduleExpression: "rate(120 days)" }, /at least every 90 days/],
    [{ scheduleExpression: "cron(0 4 1 */4 ? *)" }, /must run every month/],
  ])("production refuses %p", async (schedule, rule) => {
    const message = await refusedProblems(
      baseArgs({
        production: true,
        secrets: [{ id: "warehouse", secretArn: secretArn("warehouse"), schedule }],
      }),
    );
    expect(message).toMatch(rule);
    expect(message).toMatch(/secrets\[warehouse\]\.schedule/);
  });

  it("the same schedules are accepted outside production", async () => {
    const resources = await deploy(
      "slow",
      baseArgs({
        secrets: [{ id: "warehouse", secretArn: secretArn("warehouse"), schedule: { everyDays: 180 } }],
      }),
    );
    expect(
      resourceNamed(resources, "aws:secretsmanager/secretRotation:SecretRotation", "slow-warehouse-rotation")
        .inputs.rotationRules,
    ).toEqual({
      automaticallyAfterDays: 180,
    });
  });

  it("refuses a missing master, both schedule kinds at once, a bad window and a bad subnet, all in one error", async () => {
    const message = await refusedProblems(
      baseArgs({
        masterSecretArn: undefined,
        secrets: [
          {
            id: "warehouse",
            secretArn: secretArn("warehouse"),
            schedule: { everyDays: 30, scheduleExpression: "rate(30 days)" },
          },
          {
            id: "b",
            secretArn: secretArn("b"),
            schedule: { scheduleExpression: "rate(7 days)", duration: "36h" },
          },
        ],
        vpc: { subnetIds: ["subnet-xyz"], securityGroupIds: ["sg-0c1d2e3f4a5b60720"] },
      }),
    );
    expect(message).toMatch(/masterSecretArn: is required for alternating-users/);
    expect(message).toMatch(
      /secrets\[warehouse\]\.schedule: needs exactly one of everyDays or scheduleExpression/,
    );
    expect(message).toMatch(/secrets\[b\]\.schedule\.duration: must be a window of 1h to 24h/);
    expect(message).toMatch(/vpc\.subnetIds\[0\]: must be an id like "subnet-0123456789abcdef0"/);
  });

  it("refuses password settings the function could never use (the shared deployment check)", async () => {
    const message = await refusedProblems(
      baseArgs({
        passwordLength: 15,
        excludeCharacters: Object.values(PASSWORD_CHARACTER_CLASSES).join(""),
      }),
    );
    expect(message).toMatch(/passwordLength: must be a whole number from 16 to 4096/);
    expect(message).toMatch(/excludeCharacters: excludes every character a password is drawn from/);
  });

  it("refuses CA certificates that are not PEM certificates, are corrupt, or carry a private key", async () => {
    expect(await refusedProblems(baseArgs({ caCertificates: "not a certificate" }))).toMatch(
      /caCertificates: must hold one or more PEM certificates/,
    );
    const corrupt = PRIVATE_CA_PEM.replace(/MIIB/, "MIIA");
    expect(await refusedProblems(baseArgs({ caCertificates: PRIVATE_CA_PEM + corrupt }))).toMatch(
      /caCertificates: certificate 2 of 2 is not a valid X\.509 certificate/,
    );
    const withKey = `${PRIVATE_CA_PEM}-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----\n`;
    expect(await refusedProblems(baseArgs({ caCertificates: withKey }))).toMatch(
      /caCertificates: must not contain a private key/,
    );
  });
});

describe("rotation declared on a connection wires the component through the environment", () => {
  it("with audit off, the errors alarm notifies audit.alarmTopicArn when given, and nobody otherwise", async () => {
    const orgTopic = `arn:aws:sns:${REGION}:${ACCOUNT}:platform-alarms`;
    const rotatedDev = (env: string, settings: Record<string, unknown>) => {
      const base = awsEnvironmentArgs(env, settings);
      const [warehouse, ...others] = base.declarations.connections!;
      return {
        ...base,
        declarations: {
          ...base.declarations,
          connections: [
            { ...warehouse, rotation: { strategy: "single-user" as const, everyDays: 30 } },
            ...others,
          ],
        },
      };
    };
    const { resources } = await deployEnvironments(
      "dev-alarms",
      rotatedDev("dev", { audit: { alarmTopicArn: orgTopic } }),
      rotatedDev("sandbox", {}),
    );
    expect(resourcesOf(resources, "airflow-secrets:aws:SecretsAuditTrail")).toEqual([]);
    const errors = (env: string) =>
      resourceNamed(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", `${env}-rotation-single-user-errors`)
        .inputs.alarmActions;
    expect(errors("dev")).toEqual([orgTopic]);
    expect(errors("sandbox")).toEqual([]);
  });

  it("prod: alternating users with a master, quarterly with a 4h window, errors alarmed, rotated value never rolled back by the stack", async () => {
    const session = installMocks({ project: "airflow-secrets", stack: "prod" });
    const { AirflowSecretsEnvironment } =
      require("../../components/environment") as typeof import("../../components/environment");
    const base = awsEnvironmentArgs("prod", { rotation: { ...VPC, duration: "4h" } });
    // Resource options are not recorded by the mock monitor; a transformation sees them.
    const ignoreChanges: Record<string, string[] | undefined> = {};
    const recordOptions = (args: { name: string; opts: { ignoreChanges?: string[] } }) => {
      ignoreChanges[args.name] = args.opts.ignoreChanges;
      return undefined;
    };
    AirflowSecretsEnvironment.fromConfig(
      "prod",
      {
        ...base,
        declarations: {
          ...base.declarations,
          connections: [
            {
              ...base.declarations.connections![0],
              rotation: { strategy: "alternating-users", everyDays: 90, masterConnId: "warehouse_admin" },
            },
            {
              conn_id: "warehouse_admin",
              conn_type: "postgres",
              host: "warehouse.prod.internal",
              login: "admin",
              password: "master-pw",
            },
          ],
        },
      },
      { transformations: [recordOptions] },
    );
    await session.settle();
    // After the first deploy a rotated value belongs to the function: stack changes never roll it back.
    expect(ignoreChanges["prod-secrets-connection-warehouse-value"]).toEqual([
      "secretString",
      "versionStages",
    ]);
    expect(ignoreChanges["prod-secrets-connection-warehouse_admin-value"]).toBeUndefined();
    expect(ignoreChanges["prod-secrets-connection-slack_alerts-value"]).toBeUndefined();
    const resources = session.resources;
    const secretArnOf = (name: string) =>
      resourceNamed(
        resources,
        "aws:secretsmanager/secretVersion:SecretVersion",
        `prod-secrets-connection-${name}-value`,
      ).inputs.secretId;
    const rotation = resourceNamed(
      resources,
      "aws:secretsmanager/secretRotation:SecretRotation",
      "prod-rotation-via-warehouse_admin-warehouse-rotation",
    );
    expect(rotation.inputs).toMatchObject({
      secretId: secretArnOf("warehouse"),
      rotationRules: { scheduleExpression: "rate(90 days)", duration: "4h" },
    });
    const fn = resourceNamed(
      resources,
      "aws:lambda/function:Function",
      "prod-rotation-via-warehouse_admin-function",
    );
    expect((fn.inputs.environment as { variables: Record<string, string> }).variables).toMatchObject({
      ROTATION_STRATEGY: "alternating-users",
      MASTER_SECRET_ARN: secretArnOf("warehouse_admin"),
      NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
    });
    // The function rotates one secret: its permission names exactly that ARN.
    expect(
      resourceNamed(resources, "aws:lambda/permission:Permission", "prod-rotation-via-warehouse_admin-invoke")
        .inputs.sourceArn,
    ).toBe(secretArnOf("warehouse"));
    const errors = resourceNamed(
      resources,
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "prod-rotation-via-warehouse_admin-errors",
    );
    expect(errors.inputs.alarmActions).toEqual([
      `arn:aws:sns:${REGION}:${ACCOUNT}:airflow-prod-secrets-alarms`,
    ]);
    expect(
      resourceNamed(resources, "aws:cloudwatch/logGroup:LogGroup", "prod-rotation-via-warehouse_admin-logs")
        .inputs.retentionInDays,
    ).toBe(365);
  });
});
