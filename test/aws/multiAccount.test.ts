/**
 * Secrets in a central account, Airflow in workload accounts (issue 22). One secrets account and two
 * workload accounts (dev, prod), plus a staging environment in dev's workload account (several
 * environments per account), each reached through its own explicit provider. The synthesized
 * documents are evaluated by @cloud-copilot/iam-simulate across accounts, and the rendered
 * backend_kwargs by a model of the amazon provider's session factory (awsSessionOracle.ts).
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import * as fc from "fast-check";
import { RecordedResource, installMocks, resolveOutput } from "../../cli/synth/mockRuntime";
import type { AirflowSecretsEnvironmentConfigArgs } from "../../components/environment";
import { Decision, REGION, awsEnvironmentArgs, awsPrepareProblems, policyOf } from "./harness";
import { modelAwsBackend } from "./awsSessionOracle";

const SECRETS = "111111111111";
const DEV_WORKLOAD = "222222222222";
const PROD_WORKLOAD = "333333333333";
const ORG = "o-a1b2c3d4e5";
const issuer = (id: string) => `oidc.eks.${REGION}.amazonaws.com/id/${id}`;
const CLUSTERS: Record<string, string> = {
  [DEV_WORKLOAD]: issuer("D1D1D1D1D1D1D1D1D1D1D1D1D1D1D1D1"),
  [PROD_WORKLOAD]: issuer("F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0"),
};
const DEPLOYER = `arn:aws:iam::${SECRETS}:role/platform-pulumi-deployer`;

type Env = "dev" | "staging" | "prod";
const WORKLOAD_OF: Record<Env, string> = { dev: DEV_WORKLOAD, staging: DEV_WORKLOAD, prod: PROD_WORKLOAD };

/** An environment in its workload account, secrets in the central one. */
function multiAccountArgs(
  env: Env,
  extraSettings: Record<string, unknown> = {},
): AirflowSecretsEnvironmentConfigArgs {
  const workload = WORKLOAD_OF[env];
  return awsEnvironmentArgs(env, {
    oidcProviderArn: `arn:aws:iam::${workload}:oidc-provider/${CLUSTERS[workload]}`,
    oidcIssuer: CLUSTERS[workload],
    deployerRoleArns: [DEPLOYER],
    accounts: {
      secrets: { accountId: SECRETS, deployRoleArn: DEPLOYER },
      workload: {
        accountId: workload,
        deployRoleArn: `arn:aws:iam::${workload}:role/platform-pulumi-deployer`,
      },
      organizationId: ORG,
    },
    ...extraSettings,
  });
}

const session = installMocks({ project: "airflow-secrets", stack: "multi-account" });
/* eslint-disable @typescript-eslint/no-require-imports */
const aws = require("@pulumi/aws") as typeof import("@pulumi/aws");
const { AirflowSecretsEnvironment } =
  require("../../components/environment") as typeof import("../../components/environment");
/* eslint-enable @typescript-eslint/no-require-imports */

interface Deployed {
  kwargs: Record<string, unknown>;
  env: Record<string, string>;
  readerRoleArn: string;
  workloadRoleArn: string;
  annotations: Record<string, string>;
  readerTrust: Record<string, unknown>;
  readerPolicy: Record<string, unknown>;
  workloadTrust: Record<string, unknown>;
  workloadPolicy: Record<string, unknown>;
  writerRoleArn: string;
  writerPolicy: Record<string, unknown>;
  keyArn: string;
  keyPolicy: Record<string, unknown>;
  secrets: Record<string, { arn: string; policy: Record<string, unknown> }>;
}
const deployed = {} as Record<Env, Deployed>;
let resources: RecordedResource[];

beforeAll(async () => {
  const provider = (name: string, account: string) =>
    new aws.Provider(name, { region: REGION, allowedAccountIds: [account] });
  const secretsAws = provider("secrets", SECRETS);
  const workloadAws: Record<string, InstanceType<typeof aws.Provider>> = {
    [DEV_WORKLOAD]: provider("nonprod", DEV_WORKLOAD),
    [PROD_WORKLOAD]: provider("prod", PROD_WORKLOAD),
  };
  const envs = Object.fromEntries(
    (["dev", "staging", "prod"] as const).map((env) => [
      env,
      AirflowSecretsEnvironment.fromConfig(env, multiAccountArgs(env), {
        providers: { aws: secretsAws },
        workloadProviders: { aws: workloadAws[WORKLOAD_OF[env]] },
      }),
    ]),
  ) as Record<Env, InstanceType<typeof AirflowSecretsEnvironment>>;
  await session.settle();
  resources = session.resources;
  const one = (type: string, name: string) => {
    const found = resources.filter((r) => r.type === type && r.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  };
  for (const env of ["dev", "staging", "prod"] as const) {
    const outputs = envs[env].backendOutputs;
    const value = async <T>(key: string) => (await resolveOutput(outputs[key] as never)).value as T;
    const secretArns = await value<Record<string, string>>("secretArns");
    const secrets: Deployed["secrets"] = {};
    for (const secret of resources.filter((r) => r.type === "aws:secretsmanager/secret:Secret")) {
      const name = secret.inputs.name as string;
      if (secretArns[name] !== undefined) secrets[name] = { arn: secretArns[name], policy: policyOf(secret) };
    }
    expect(Object.keys(secrets).length).toBe(Object.keys(secretArns).length);
    const sa = resources.find(
      (r) =>
        r.type === "kubernetes:core/v1:ServiceAccount" &&
        (r.inputs as { metadata: { namespace: string } }).metadata.namespace === `airflow-${env}`,
    )!;
    const airflowEnv = (await resolveOutput(envs[env].airflowConfig.env as never)).value as Record<
      string,
      string
    >;
    deployed[env] = {
      kwargs: JSON.parse(airflowEnv.AIRFLOW__SECRETS__BACKEND_KWARGS),
      env: airflowEnv,
      readerRoleArn: await value("readerRoleArn"),
      workloadRoleArn: await value("workloadRoleArn"),
      annotations: (sa.inputs as { metadata: { annotations: Record<string, string> } }).metadata.annotations,
      readerTrust: policyOf(one("aws:iam/role:Role", `${env}-access-reader`), "assumeRolePolicy"),
      readerPolicy: policyOf(one("aws:iam/rolePolicy:RolePolicy", `${env}-access-reader-policy`)),
      workloadTrust: policyOf(one("aws:iam/role:Role", `${env}-workload-identity-role`), "assumeRolePolicy"),
      workloadPolicy: policyOf(
        one("aws:iam/rolePolicy:RolePolicy", `${env}-workload-identity-assume-reader`),
      ),
      writerRoleArn: await value("writerRoleArn"),
      writerPolicy: policyOf(one("aws:iam/policy:Policy", `${env}-access-writer-policy`)),
      keyArn: await value("kmsKeyArn"),
      keyPolicy: policyOf(one("aws:kms/key:Key", `${env}-secrets-key-key`)),
      secrets,
    };
  }
});

const ENVS: Env[] = ["dev", "staging", "prod"];
const warehouse = (env: Env) => deployed[env].secrets[`airflow/${env}/connections/warehouse`];
const fernetSecret = (env: Env) => deployed[env].secrets[`airflow/${env}/config/fernet_key`];
const sessionArn = (env: Env) =>
  `arn:aws:sts::${SECRETS}:assumed-role/airflow-${env}-secrets-reader/airflow-${env}`;
const ADMIN_POLICY = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
const accountOf = (arn: string) => arn.split(":")[4];

interface CrossAccountRequest {
  principal: string;
  /** The role behind an assumed-role session (aws:PrincipalArn), when it differs from `principal`. */
  principalRoleArn?: string;
  action: string;
  resource: string;
  identityPolicies: object[];
  resourcePolicy?: object;
  context?: Record<string, string>;
}

/** One request evaluated as IAM does across accounts: a cross-account call needs both sides' allow. */
async function simulateAcross(request: CrossAccountRequest): Promise<Decision> {
  const principalAccount = accountOf(request.principal);
  const response = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: accountOf(request.resource) || principalAccount },
        contextVariables: {
          "aws:PrincipalArn": request.principalRoleArn ?? request.principal,
          "aws:PrincipalAccount": principalAccount,
          "aws:PrincipalOrgID": ORG,
          ...(request.context ?? {}),
        },
      },
      identityPolicies: request.identityPolicies.map((policy, i) => ({ name: `policy${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy,
    },
    {},
  );
  if (response.resultType === "error")
    throw new Error(`iam-simulate rejected ${request.action}: ${JSON.stringify(response.errors)}`);
  return response.overallResult as Decision;
}

/** Airflow of `env`, after assuming its reader (Airflow's session), acting on `target`'s secrets. */
const asAirflow = (env: Env, action: string, resource: string, resourcePolicy: object, context = {}) =>
  simulateAcross({
    principal: sessionArn(env),
    principalRoleArn: deployed[env].readerRoleArn,
    action,
    resource,
    identityPolicies: [deployed[env].readerPolicy],
    resourcePolicy,
    context,
  });

const VIA_SM = { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com`, "kms:CallerAccount": SECRETS };

describe("secrets in a central account, Airflow in workload accounts", () => {
  it("creates Airflow's IRSA role in its workload account and the reader, key and secrets in the secrets account", () => {
    for (const env of ENVS) {
      const d = deployed[env];
      expect(d.workloadRoleArn).toBe(`arn:aws:iam::${WORKLOAD_OF[env]}:role/airflow-${env}-secrets-irsa`);
      expect(d.readerRoleArn).toBe(`arn:aws:iam::${SECRETS}:role/airflow-${env}-secrets-reader`);
      expect(accountOf(d.keyArn)).toBe(SECRETS);
      expect(Object.values(d.secrets).map((s) => accountOf(s.arn))).toEqual(
        Object.values(d.secrets).map(() => SECRETS),
      );
      // Airflow's pods run as the workload role; Airflow's backend then assumes the reader.
      expect(d.annotations).toEqual({ "eks.amazonaws.com/role-arn": d.workloadRoleArn });
      expect(d.kwargs).toMatchObject({
        region_name: REGION,
        role_arn: d.readerRoleArn,
        assume_role_kwargs: { RoleSessionName: `airflow-${env}` },
      });
    }
  });

  it("the reader trusts only its environment's workload role by exact ARN, inside the organisation", () => {
    for (const env of ENVS) {
      expect(deployed[env].readerTrust).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "AirflowWorkloadRoleOfThisEnvironment",
            Effect: "Allow",
            Principal: { AWS: deployed[env].workloadRoleArn },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:PrincipalOrgID": ORG } },
          },
        ],
      });
      // The workload role is trusted by the cluster of its own account only.
      const trust = deployed[env].workloadTrust as { Statement: Array<{ Principal: { Federated: string } }> };
      expect(trust.Statement.map((s) => accountOf(s.Principal.Federated))).toEqual([WORKLOAD_OF[env]]);
    }
  });

  it("IAM-simulator matrix: each Airflow assumes only its reader, reads only its secrets, decrypts only via Secrets Manager with its key", async () => {
    const unexpected: string[] = [];
    const rows: Array<Record<string, string>> = [];
    const expectFor = async (label: string, decision: Promise<Decision>, allowed: boolean) => {
      const d = await decision;
      rows.push({ request: label, decision: d });
      if ((d === "Allowed") !== allowed)
        unexpected.push(`${label}: ${d}, expected ${allowed ? "allow" : "deny"}`);
    };
    for (const env of ENVS) {
      for (const target of ENVS) {
        const own = env === target;
        await expectFor(
          `${env} workload role assumes ${target} reader`,
          simulateAcross({
            principal: deployed[env].workloadRoleArn,
            action: "sts:AssumeRole",
            resource: deployed[target].readerRoleArn,
            identityPolicies: [deployed[env].workloadPolicy],
            resourcePolicy: deployed[target].readerTrust,
          }),
          own,
        );
        // Even an administrator policy on a workload role cannot make another reader trust it.
        await expectFor(
          `${env} workload role with admin policy assumes ${target} reader`,
          simulateAcross({
            principal: deployed[env].workloadRoleArn,
            action: "sts:AssumeRole",
            resource: deployed[target].readerRoleArn,
            identityPolicies: [ADMIN_POLICY],
            resourcePolicy: deployed[target].readerTrust,
          }),
          own,
        );
        for (const [what, secret] of [
          ["warehouse", warehouse(target)],
          ["fernet key", fernetSecret(target)],
        ] as const) {
          await expectFor(
            `Airflow ${env} (assumed) reads ${target} ${what}`,
            asAirflow(env, "secretsmanager:GetSecretValue", secret.arn, secret.policy),
            own,
          );
        }
        await expectFor(
          `Airflow ${env} (assumed) decrypts with ${target} key via Secrets Manager`,
          asAirflow(env, "kms:Decrypt", deployed[target].keyArn, deployed[target].keyPolicy, VIA_SM),
          own,
        );
        await expectFor(
          `Airflow ${env} (assumed) decrypts with ${target} key directly`,
          asAirflow(env, "kms:Decrypt", deployed[target].keyArn, deployed[target].keyPolicy, {
            "kms:CallerAccount": SECRETS,
          }),
          false,
        );
        await expectFor(
          `Airflow ${env} (assumed) writes ${target} warehouse`,
          asAirflow(env, "secretsmanager:PutSecretValue", warehouse(target).arn, warehouse(target).policy),
          false,
        );
      }
    }
    console.table(rows);
    expect(rows.length).toBe(ENVS.length * ENVS.length * 7);
    expect(unexpected).toEqual([]);
  });

  it("nothing in a workload account reads a secret or decrypts directly, even with an administrator policy", async () => {
    const decisions: string[] = [];
    for (const env of ENVS) {
      const workload = WORKLOAD_OF[env];
      for (const principal of [
        deployed[env].workloadRoleArn,
        `arn:aws:iam::${workload}:role/account-admin`,
        `arn:aws:iam::${workload}:root`,
      ]) {
        const read = await simulateAcross({
          principal,
          action: "secretsmanager:GetSecretValue",
          resource: warehouse(env).arn,
          identityPolicies: [ADMIN_POLICY],
          resourcePolicy: warehouse(env).policy,
        });
        const decrypt = await simulateAcross({
          principal,
          action: "kms:Decrypt",
          resource: deployed[env].keyArn,
          identityPolicies: [ADMIN_POLICY],
          resourcePolicy: deployed[env].keyPolicy,
          context: { ...VIA_SM, "kms:CallerAccount": workload },
        });
        decisions.push(`${principal} read ${read}`, `${principal} decrypt ${decrypt}`);
      }
    }
    expect(decisions).toHaveLength(ENVS.length * 3 * 2);
    expect(decisions.filter((d) => d.endsWith(" Allowed"))).toEqual([]);
  });

  it("the CI writer (secrets account) still cannot read or decrypt, even with an administrator policy", async () => {
    for (const env of ENVS) {
      const { writerRoleArn, writerPolicy } = deployed[env];
      expect(accountOf(writerRoleArn)).toBe(SECRETS);
      const read = await simulateAcross({
        principal: writerRoleArn,
        action: "secretsmanager:GetSecretValue",
        resource: warehouse(env).arn,
        identityPolicies: [writerPolicy, ADMIN_POLICY],
        resourcePolicy: warehouse(env).policy,
      });
      const decrypt = await simulateAcross({
        principal: writerRoleArn,
        action: "kms:Decrypt",
        resource: deployed[env].keyArn,
        identityPolicies: [writerPolicy, ADMIN_POLICY],
        resourcePolicy: deployed[env].keyPolicy,
        context: VIA_SM,
      });
      const write = await simulateAcross({
        principal: writerRoleArn,
        action: "secretsmanager:PutSecretValue",
        resource: warehouse(env).arn,
        identityPolicies: [writerPolicy],
        resourcePolicy: warehouse(env).policy,
      });
      expect([read, decrypt, write]).toEqual(["ExplicitlyDenied", "ExplicitlyDenied", "Allowed"]);
    }
  });

  it("a reader outside the organisation condition is refused (the trust's aws:PrincipalOrgID)", async () => {
    const decision = await simulateAcross({
      principal: deployed.prod.workloadRoleArn,
      action: "sts:AssumeRole",
      resource: deployed.prod.readerRoleArn,
      identityPolicies: [deployed.prod.workloadPolicy],
      resourcePolicy: deployed.prod.readerTrust,
      context: { "aws:PrincipalOrgID": "o-zzzzzzzzzz" },
    });
    expect(decision).toBe("ImplicitlyDenied");
  });
});

describe("the rendered backend_kwargs, as the amazon provider's backend reads them", () => {
  it("build an assumed-role session as the reader, with nothing ignored, for connections, variables and config (the Fernet key)", () => {
    for (const env of ENVS) {
      const { kwargs, env: airflowEnv, readerRoleArn } = deployed[env];
      const backend = modelAwsBackend("SecretsManagerBackend", kwargs);
      expect(backend.ignoredKeys).toEqual([]);
      expect(backend.session).toEqual({
        region: REGION,
        baseCredentials: "default chain (IRSA web identity)",
        assumeRole: { RoleArn: readerRoleArn, RoleSessionName: `airflow-${env}` },
      });
      // One client serves every kind: the Fernet key (`{option}_secret` reads get_config) is read
      // through the same assumed role, from the secret the reader may read.
      expect(airflowEnv.AIRFLOW__CORE__FERNET_KEY_SECRET).toBe("fernet_key");
      expect(`${backend.prefixes.config}${kwargs.sep}fernet_key`).toBe(`airflow/${env}/config/fernet_key`);
      expect(fernetSecret(env)).toBeDefined();
      // Python's `(?-i:…)` and `\Z` in JavaScript terms; the pattern must let Airflow ask for fernet_key.
      const pattern = String(kwargs.config_lookup_pattern).replace("(?-i:", "(?:").replace(/\\Z$/, "$");
      expect(new RegExp(pattern).test("fernet_key")).toBe(true);
    }
  });

  it("Airflow 3 workers get the same session kwargs, and Parameter Store reads them the same way", async () => {
    const aws3 = multiAccountArgs("prod", { store: "ssm", deployerRoleArns: undefined });
    aws3.airflow = { version: "3.1" };
    const problems = awsPrepareProblems(aws3);
    expect(problems).toEqual([]);
    // The plan alone carries the kwargs: no provider is needed to render them.
    const { prepareEnvironment } = await import("../../components/environment");
    const { Problems } = await import("../../components/airflow");
    const prepared = prepareEnvironment(aws3, new Problems())!;
    const env = prepared.resolved.plan.airflowConfig.env;
    for (const key of ["AIRFLOW__SECRETS__BACKEND_KWARGS", "AIRFLOW__WORKERS__SECRETS_BACKEND_KWARGS"]) {
      const backend = modelAwsBackend("SystemsManagerParameterStoreBackend", JSON.parse(env[key]));
      expect(backend.ignoredKeys).toEqual([]);
      expect(backend.session.assumeRole).toEqual({
        RoleArn: `arn:aws:iam::${SECRETS}:role/airflow-prod-secrets-reader`,
        RoleSessionName: "airflow-prod",
      });
    }
  });

  it("the oracle refuses what the provider refuses (so the checks above can fail)", () => {
    const base = { region_name: REGION, role_arn: `arn:aws:iam::${SECRETS}:role/r` };
    expect(() => modelAwsBackend("SecretsManagerBackend", { ...base, assume_role_method: "assume" })).toThrow(
      /NotImplementedError/,
    );
    expect(() => modelAwsBackend("SecretsManagerBackend", { ...base, assume_role_kwargs: "x" })).toThrow(
      /dict/,
    );
    expect(() =>
      modelAwsBackend("SecretsManagerBackend", { ...base, assume_role_kwargs: { SessionName: "a" } }),
    ).toThrow(/unknown parameter/);
    expect(() =>
      modelAwsBackend("SecretsManagerBackend", { ...base, assume_role_kwargs: { RoleSessionName: "a b" } }),
    ).toThrow(/RoleSessionName/);
    expect(modelAwsBackend("SecretsManagerBackend", { ...base, rolearn: "x" }).ignoredKeys).toEqual([
      "rolearn",
    ]);
    // Without role_arn the backend reads as the pod's own identity: the single-account shape.
    expect(
      modelAwsBackend("SecretsManagerBackend", { region_name: REGION }).session.assumeRole,
    ).toBeUndefined();
  });
});

describe("failed-lookup alarms see Airflow's assumed-role sessions", () => {
  /** CloudWatch Logs JSON filter patterns as this library writes them: `$.a.b = "v*"`, &&, ||, parentheses. */
  function matches(pattern: string, event: Record<string, unknown>): boolean {
    const body = pattern
      .trim()
      .replace(/^\{\s*/, "")
      .replace(/\s*\}$/, "");
    const js = body.replace(/\(\$\.([\w.[\]0-9]+) = "([^"]*)"\)/g, (_m, path: string, value: string) => {
      const actual = path
        .split(/\.|\[(\d+)\]/)
        .filter((p) => p !== undefined && p !== "")
        .reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], event);
      const re = new RegExp(`^${value.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
      return typeof actual === "string" && re.test(actual) ? "true" : "false";
    });
    if (!/^[\s()truefals&|]*$/.test(js)) throw new Error(`unmodelled pattern: ${js}`);
    return Function(`return (${js});`)() as boolean;
  }

  it("a not-found and a denied GetSecretValue by assumed-role/<reader>/airflow-prod in the secrets account match the alarms", async () => {
    const { auditFilters } = await import("../../components/aws/auditTrail");
    const filters = Object.fromEntries(
      auditFilters("secretsmanager", ["airflow/prod/connections/"], [deployed.prod.keyArn]).map((f) => [
        f.name,
        f.pattern,
      ]),
    );
    const event = (errorCode: string, secretId: string) => ({
      eventSource: "secretsmanager.amazonaws.com",
      eventName: "GetSecretValue",
      recipientAccountId: SECRETS,
      errorCode,
      requestParameters: { secretId },
      userIdentity: {
        type: "AssumedRole",
        arn: sessionArn("prod"),
        accountId: SECRETS,
        sessionContext: {
          sessionIssuer: { type: "Role", arn: deployed.prod.readerRoleArn, accountId: SECRETS },
        },
      },
    });
    expect(
      matches(filters.LookupNotFound, event("ResourceNotFoundException", "airflow/prod/connections/missing")),
    ).toBe(true);
    expect(
      matches(filters.AccessDenied, event("AccessDenied", "airflow/prod/connections/warehouse_admin")),
    ).toBe(true);
    // The filter is not vacuous: another environment's lookups do not match.
    expect(
      matches(filters.LookupNotFound, event("ResourceNotFoundException", "airflow/dev/connections/missing")),
    ).toBe(false);
  });
});

describe("accounts settings", () => {
  it("refuses malformed accounts with the field and the rule, never the value", () => {
    const bad = multiAccountArgs("prod", {
      accounts: {
        secrets: { accountId: "98765", deployRoleArn: `arn:aws:iam::${PROD_WORKLOAD}:role/deployer` },
        workload: { accountId: PROD_WORKLOAD },
        organizationId: "org-1",
      },
    });
    const problems = awsPrepareProblems(bad);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^aws\.accounts\.secrets\.accountId: must be a 12-digit AWS account id/),
        expect.stringMatching(/^aws\.accounts\.organizationId: must be an AWS Organizations id/),
      ]),
    );
    for (const problem of problems) expect(problem).not.toMatch(/98765|org-1/);
  });

  it("refuses a role to deploy with in another account, one account for both sides, and a cluster outside the workload account", () => {
    expect(
      awsPrepareProblems(
        multiAccountArgs("prod", {
          accounts: {
            secrets: { accountId: SECRETS, deployRoleArn: `arn:aws:iam::${PROD_WORKLOAD}:role/deployer` },
            workload: { accountId: SECRETS },
          },
          oidcProviderArn: `arn:aws:iam::${PROD_WORKLOAD}:oidc-provider/${CLUSTERS[PROD_WORKLOAD]}`,
        }),
      ),
    ).toEqual([
      'aws.accounts.secrets.deployRoleArn: must be an IAM role ARN in the secrets account ("arn:aws:iam::<accountId>:role/<name>")',
      "aws.accounts.workload.accountId: is the secrets account: with one account, leave aws.accounts out (Airflow's IRSA role is then the reader)",
      "aws.oidcProviderArn: must be in the workload account (aws.accounts.workload.accountId): the EKS cluster's OIDC provider is where Airflow runs",
    ]);
  });

  it("refuses an existing key outside the secrets account", () => {
    const problems = awsPrepareProblems(
      multiAccountArgs("prod", {
        kms: {
          existing: {
            keyArn: `arn:aws:kms:${REGION}:${PROD_WORKLOAD}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
          },
        },
      }),
    );
    expect(problems).toEqual([
      "aws.kms.existing.keyArn: must be a key in the secrets account (aws.accounts.secrets.accountId), next to the secrets it encrypts",
    ]);
  });

  it("accepts any pair of distinct well-formed account ids and renders the reader of the secrets account (generated)", () => {
    const accountId = fc.stringMatching(/^\d{12}$/);
    fc.assert(
      fc.property(accountId, accountId, (secrets, workload) => {
        fc.pre(secrets !== workload);
        const args = multiAccountArgs("dev", {
          accounts: { secrets: { accountId: secrets }, workload: { accountId: workload } },
          oidcProviderArn: `arn:aws:iam::${workload}:oidc-provider/${CLUSTERS[DEV_WORKLOAD]}`,
        });
        expect(awsPrepareProblems(args)).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  it("an environment component without the workload provider is refused before anything is registered", () => {
    const before = session.resources.length;
    expect(() => AirflowSecretsEnvironment.fromConfig("orphan", multiAccountArgs("prod"))).toThrow(
      /aws\.accounts\.workload: puts Airflow in another account: pass that account's aws provider as the workloadProviders\.aws resource option/,
    );
    expect(session.resources.length).toBe(before);
  });

  it("single-account settings keep the old shape: no role_arn, the reader is Airflow's IRSA role", async () => {
    const { prepareEnvironment } = await import("../../components/environment");
    const { Problems } = await import("../../components/airflow");
    const prepared = prepareEnvironment(awsEnvironmentArgs("prod"), new Problems())!;
    const kwargs = JSON.parse(prepared.resolved.plan.airflowConfig.env.AIRFLOW__SECRETS__BACKEND_KWARGS);
    expect(kwargs.role_arn).toBeUndefined();
    expect(kwargs.assume_role_kwargs).toBeUndefined();
    expect(prepared.resolved.workloadProviders).toBeUndefined();
  });
});
