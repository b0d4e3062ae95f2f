/**
 * Least privilege, proven on the synthesized documents: identity policies, each secret's resource
 * policy and the KMS key policy are evaluated by @cloud-copilot/iam-simulate, for a dev and a prod
 * environment deployed side by side in one account (the hardest case for separation).
 */
import { installMocks, resolveOutput } from "../../cli/synth/mockRuntime";
import {
  ACCOUNT,
  DEPLOYER_ROLE_ARN,
  Decision,
  REGION,
  allowed,
  awsEnvironmentArgs,
  policyOf,
  resourceNamed,
  resourcesOf,
  simulate,
} from "./harness";

const session = installMocks({ project: "airflow-secrets", stack: "least-privilege" });
/* eslint-disable @typescript-eslint/no-require-imports */
const { AirflowSecretsEnvironment } =
  require("../../components/environment") as typeof import("../../components/environment");

type Env = "dev" | "prod";

interface Deployed {
  readerRoleArn: string;
  writerRoleArn: string;
  readerPolicy: Record<string, unknown>;
  writerPolicy: Record<string, unknown>;
  keyArn: string;
  keyPolicy: Record<string, unknown>;
  /** By secret name: ARN and resource policy. */
  secrets: Record<string, { arn: string; policy: Record<string, unknown> }>;
  rotationRoleArn?: string;
  rotationPolicy?: Record<string, unknown>;
}

const deployed = {} as Record<Env, Deployed>;
const VIA_SM = { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com`, "kms:CallerAccount": ACCOUNT };
const ADMIN_POLICY = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

beforeAll(async () => {
  const prodRotation = {
    rotation: { subnetIds: ["subnet-0a1b2c3d4e5f60718"], securityGroupIds: ["sg-0c1d2e3f4a5b60720"] },
  };
  const environments = {
    dev: AirflowSecretsEnvironment.fromConfig("dev", awsEnvironmentArgs("dev")),
    prod: AirflowSecretsEnvironment.fromConfig(
      "prod",
      awsEnvironmentArgs("prod", prodRotation, {
        declarations: {
          ...awsEnvironmentArgs("prod").declarations,
          connections: [
            {
              ...awsEnvironmentArgs("prod").declarations.connections![0],
              rotation: { strategy: "alternating-users", everyDays: 90, masterConnId: "warehouse_admin" },
            },
            awsEnvironmentArgs("prod").declarations.connections![1],
            {
              conn_id: "warehouse_admin",
              conn_type: "postgres",
              host: "warehouse.prod.internal",
              login: "rotation_admin",
              password: "master-pw-1",
            },
          ],
        },
      }),
    ),
  };
  await session.settle();
  const resources = session.resources;
  for (const env of ["dev", "prod"] as const) {
    const outputs = environments[env].backendOutputs;
    const value = async <T>(key: string) => (await resolveOutput(outputs[key] as never)).value as T;
    const secretArns = await value<Record<string, string>>("secretArns");
    const secrets: Deployed["secrets"] = {};
    // The resource policy is the secret's own `policy` input (no separate SecretPolicy resource).
    expect(resourcesOf(resources, "aws:secretsmanager/secretPolicy:SecretPolicy")).toEqual([]);
    for (const secret of resourcesOf(resources, "aws:secretsmanager/secret:Secret")) {
      const name = secret.inputs.name as string;
      if (secretArns[name] !== undefined) secrets[name] = { arn: secretArns[name], policy: policyOf(secret) };
    }
    expect(Object.keys(secrets).length).toBe(Object.keys(secretArns).length);
    const rotationRole = resources.find(
      (r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name.startsWith(`${env}-rotation-`),
    );
    deployed[env] = {
      readerRoleArn: await value("readerRoleArn"),
      writerRoleArn: await value("writerRoleArn"),
      readerPolicy: policyOf(
        resourceNamed(resources, "aws:iam/rolePolicy:RolePolicy", `${env}-access-reader-policy`),
      ),
      writerPolicy: policyOf(
        resourceNamed(resources, "aws:iam/policy:Policy", `${env}-access-writer-policy`),
      ),
      keyArn: await value("kmsKeyArn"),
      keyPolicy: policyOf(resourceNamed(resources, "aws:kms/key:Key", `${env}-secrets-key-key`)),
      secrets,
      rotationRoleArn: rotationRole ? `arn:aws:iam::${ACCOUNT}:role/${rotationRole.inputs.role}` : undefined,
      rotationPolicy: rotationRole ? policyOf(rotationRole) : undefined,
    };
  }
});

const warehouse = (env: Env) => deployed[env].secrets[`airflow/${env}/connections/warehouse`];

type Principal = "reader dev" | "reader prod" | "writer dev";
type Operation =
  | "secretsmanager:GetSecretValue"
  | "secretsmanager:PutSecretValue"
  | "secretsmanager:DeleteSecret"
  | "kms:Decrypt via SM"
  | "kms:Decrypt direct";

const PRINCIPALS: Principal[] = ["reader dev", "reader prod", "writer dev"];
const OPERATIONS: Operation[] = [
  "secretsmanager:GetSecretValue",
  "secretsmanager:PutSecretValue",
  "secretsmanager:DeleteSecret",
  "kms:Decrypt via SM",
  "kms:Decrypt direct",
];
const TARGETS: Env[] = ["dev", "prod"];

/**
 * The intended access, written from the requirements rather than from the policies: a reader reads
 * its own environment and decrypts only through Secrets Manager; the CI writer writes and deletes in
 * its own environment but never reads or decrypts; nobody crosses environments.
 */
function intended(principal: Principal, operation: Operation, target: Env): boolean {
  const [role, env] = principal.split(" ") as ["reader" | "writer", Env];
  if (env !== target) return false;
  if (role === "reader")
    return operation === "secretsmanager:GetSecretValue" || operation === "kms:Decrypt via SM";
  return operation === "secretsmanager:PutSecretValue" || operation === "secretsmanager:DeleteSecret";
}

async function decide(principal: Principal, operation: Operation, target: Env): Promise<Decision> {
  const [role, env] = principal.split(" ") as ["reader" | "writer", Env];
  const own = deployed[env];
  const principalArn = role === "reader" ? own.readerRoleArn : own.writerRoleArn;
  const identity = role === "reader" ? own.readerPolicy : own.writerPolicy;
  if (operation.startsWith("kms:")) {
    return simulate({
      principal: principalArn,
      action: "kms:Decrypt",
      resource: deployed[target].keyArn,
      identityPolicies: [identity],
      resourcePolicy: deployed[target].keyPolicy,
      context: operation === "kms:Decrypt via SM" ? VIA_SM : { "kms:CallerAccount": ACCOUNT },
    });
  }
  return simulate({
    principal: principalArn,
    action: operation,
    resource: warehouse(target).arn,
    identityPolicies: [identity],
    resourcePolicy: warehouse(target).policy,
  });
}

describe("least privilege of the synthesized policies (iam-simulate)", () => {
  it("reader dev / reader prod / writer dev × operations × dev / prod secret: no unexpected allow or deny", async () => {
    const rows: Array<Record<string, string>> = [];
    const unexpected: string[] = [];
    for (const principal of PRINCIPALS) {
      for (const operation of OPERATIONS) {
        const row: Record<string, string> = { principal, operation };
        for (const target of TARGETS) {
          const decision = await decide(principal, operation, target);
          const expected = intended(principal, operation, target);
          row[`${target} secret`] = `${decision}${allowed(decision) === expected ? "" : "  <-- UNEXPECTED"}`;
          if (allowed(decision) !== expected)
            unexpected.push(
              `${principal} ${operation} on ${target}: ${decision}, expected ${expected ? "allow" : "deny"}`,
            );
        }
        rows.push(row);
      }
    }
    console.table(rows);
    expect(rows).toHaveLength(PRINCIPALS.length * OPERATIONS.length);
    expect(unexpected).toEqual([]);
  });

  it("the CI writer stays unable to read even if an administrator policy is attached to it later", async () => {
    const { writerRoleArn, writerPolicy } = deployed.dev;
    const read = await simulate({
      principal: writerRoleArn,
      action: "secretsmanager:GetSecretValue",
      resource: warehouse("dev").arn,
      identityPolicies: [writerPolicy, ADMIN_POLICY],
      resourcePolicy: warehouse("dev").policy,
    });
    const decrypt = await simulate({
      principal: writerRoleArn,
      action: "kms:Decrypt",
      resource: deployed.dev.keyArn,
      identityPolicies: [writerPolicy, ADMIN_POLICY],
      resourcePolicy: deployed.dev.keyPolicy,
      context: VIA_SM,
    });
    expect([read, decrypt]).toEqual(["ExplicitlyDenied", "ExplicitlyDenied"]);
  });

  it("the CI writer deletes only with a recovery window: never ForceDeleteWithoutRecovery, never a window shorter than the store's", async () => {
    const deleteAs = (env: Env, context: Record<string, string>, extra: object[] = []) =>
      simulate({
        principal: deployed[env].writerRoleArn,
        action: "secretsmanager:DeleteSecret",
        resource: warehouse(env).arn,
        identityPolicies: [deployed[env].writerPolicy, ...extra],
        resourcePolicy: warehouse(env).policy,
        context,
      });
    const force = { "secretsmanager:ForceDeleteWithoutRecovery": "true" };
    const window = (days: number) => ({ "secretsmanager:RecoveryWindowInDays": String(days) });
    const rows = [
      // dev keeps the default 7-day window; prod 30 days.
      ["dev, default window", await deleteAs("dev", {}), "Allowed"],
      ["dev, 7 days", await deleteAs("dev", window(7)), "Allowed"],
      [
        "dev, ForceDeleteWithoutRecovery=false",
        await deleteAs("dev", { "secretsmanager:ForceDeleteWithoutRecovery": "false" }),
        "Allowed",
      ],
      ["dev, ForceDeleteWithoutRecovery", await deleteAs("dev", force), "ExplicitlyDenied"],
      [
        "dev, ForceDeleteWithoutRecovery + admin policy",
        await deleteAs("dev", force, [ADMIN_POLICY]),
        "ExplicitlyDenied",
      ],
      ["prod, default window (30)", await deleteAs("prod", {}), "Allowed"],
      ["prod, 30 days", await deleteAs("prod", window(30)), "Allowed"],
      ["prod, 29 days", await deleteAs("prod", window(29)), "ExplicitlyDenied"],
      ["prod, 7 days + admin policy", await deleteAs("prod", window(7), [ADMIN_POLICY]), "ExplicitlyDenied"],
      ["prod, ForceDeleteWithoutRecovery", await deleteAs("prod", force), "ExplicitlyDenied"],
    ];
    console.table(rows.map(([request, decision, expected]) => ({ request, decision, expected })));
    expect(rows.filter(([, decision, expected]) => decision !== expected)).toEqual([]);
  });

  it("account administrators keep every management action but cannot read values; the deployer role can", async () => {
    const admin = `arn:aws:iam::${ACCOUNT}:role/account-admin`;
    const secret = warehouse("prod");
    const asAdmin = (action: string, principal = admin) =>
      simulate({
        principal,
        action,
        resource: secret.arn,
        identityPolicies: [ADMIN_POLICY],
        resourcePolicy: secret.policy,
      });
    const management = [
      "secretsmanager:DescribeSecret",
      "secretsmanager:PutResourcePolicy",
      "secretsmanager:DeleteResourcePolicy",
      "secretsmanager:DeleteSecret",
      "secretsmanager:RestoreSecret",
      "secretsmanager:TagResource",
      "secretsmanager:PutSecretValue",
    ];
    expect(await Promise.all(management.map((a) => asAdmin(a)))).toEqual(management.map(() => "Allowed"));
    expect(await asAdmin("secretsmanager:GetSecretValue")).toBe("ExplicitlyDenied");
    expect(await asAdmin("secretsmanager:GetSecretValue", DEPLOYER_ROLE_ARN)).toBe("Allowed");
  });

  it("the key policy lets administrators manage the key, and use it only through Secrets Manager", async () => {
    const admin = `arn:aws:iam::${ACCOUNT}:role/account-admin`;
    const onKey = (action: string, context: Record<string, string>) =>
      simulate({
        principal: admin,
        action,
        resource: deployed.prod.keyArn,
        identityPolicies: [ADMIN_POLICY],
        resourcePolicy: deployed.prod.keyPolicy,
        context,
      });
    expect(await onKey("kms:PutKeyPolicy", { "kms:CallerAccount": ACCOUNT })).toBe("Allowed");
    expect(await onKey("kms:ScheduleKeyDeletion", { "kms:CallerAccount": ACCOUNT })).toBe("Allowed");
    expect(await onKey("kms:Decrypt", { "kms:CallerAccount": ACCOUNT })).toBe("ImplicitlyDenied");
    expect(await onKey("kms:CreateGrant", { "kms:CallerAccount": ACCOUNT })).toBe("ImplicitlyDenied");
    expect(await onKey("kms:Decrypt", VIA_SM)).toBe("Allowed");
    // Through another service (e.g. S3) the key is not usable.
    expect(
      await onKey("kms:Decrypt", {
        "kms:ViaService": `s3.${REGION}.amazonaws.com`,
        "kms:CallerAccount": ACCOUNT,
      }),
    ).toBe("ImplicitlyDenied");
  });

  it("the reader is denied direct decryption by the key policy itself, whatever its IAM policies say", async () => {
    const decision = await simulate({
      principal: deployed.prod.readerRoleArn,
      action: "kms:Decrypt",
      resource: deployed.prod.keyArn,
      identityPolicies: [ADMIN_POLICY],
      resourcePolicy: deployed.prod.keyPolicy,
      context: { "kms:CallerAccount": ACCOUNT },
    });
    expect(decision).toBe("ExplicitlyDenied");
  });

  it("a rotation master is readable by the rotation function only, never by Airflow", async () => {
    const master = deployed.prod.secrets["airflow/prod/connections/warehouse_admin"];
    const { rotationRoleArn, rotationPolicy, readerRoleArn, readerPolicy } = deployed.prod;
    expect(rotationRoleArn).toBeDefined();
    const byReader = await simulate({
      principal: readerRoleArn,
      action: "secretsmanager:GetSecretValue",
      resource: master.arn,
      identityPolicies: [readerPolicy],
      resourcePolicy: master.policy,
    });
    const byRotation = await simulate({
      principal: rotationRoleArn!,
      action: "secretsmanager:GetSecretValue",
      resource: master.arn,
      identityPolicies: [rotationPolicy!],
      resourcePolicy: master.policy,
    });
    const rotationWritesMaster = await simulate({
      principal: rotationRoleArn!,
      action: "secretsmanager:PutSecretValue",
      resource: master.arn,
      identityPolicies: [rotationPolicy!],
      resourcePolicy: master.policy,
    });
    expect([byReader, byRotation, rotationWritesMaster]).toEqual([
      "ExplicitlyDenied",
      "Allowed",
      "ImplicitlyDenied",
    ]);
  });

  it("a rotated secret is readable by Airflow and by its rotation function; other secrets are not readable by the function", async () => {
    const { rotationRoleArn, rotationPolicy, readerRoleArn, readerPolicy } = deployed.prod;
    const slack = deployed.prod.secrets["airflow/prod/connections/slack_alerts"];
    const results = await Promise.all([
      simulate({
        principal: readerRoleArn,
        action: "secretsmanager:GetSecretValue",
        resource: warehouse("prod").arn,
        identityPolicies: [readerPolicy],
        resourcePolicy: warehouse("prod").policy,
      }),
      simulate({
        principal: rotationRoleArn!,
        action: "secretsmanager:GetSecretValue",
        resource: warehouse("prod").arn,
        identityPolicies: [rotationPolicy!],
        resourcePolicy: warehouse("prod").policy,
      }),
      simulate({
        principal: rotationRoleArn!,
        action: "secretsmanager:GetSecretValue",
        resource: slack.arn,
        identityPolicies: [rotationPolicy!, ADMIN_POLICY],
        resourcePolicy: slack.policy,
      }),
    ]);
    expect(results).toEqual(["Allowed", "Allowed", "ExplicitlyDenied"]);
  });
});
