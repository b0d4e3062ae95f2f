/**
 * One service account per Airflow component on AWS, proven with iam-simulate on the synthesized
 * documents of a dev and a prod environment side by side: each component's web identity may assume
 * its own environment's reader (trust policy) and nothing else, the reader reads its environment's
 * secrets and no other's, and a service account no component runs as — in the same namespace, or
 * the same names in the other environment's namespace — cannot assume it.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { resolveOutput } from "../../cli/synth/mockRuntime";
import { IDENTITY_COMPONENTS } from "../../components/kubernetes/serviceAccountNames";
import {
  ACCOUNT,
  OIDC_ISSUER,
  OIDC_PROVIDER_ARN,
  allowed,
  awsEnvironmentArgs,
  deployEnvironments,
  policyOf,
  resourceNamed,
  resourcesOf,
  simulate,
} from "./harness";

type Env = "dev" | "prod";

/** dev names each component as the chart does for release `airflow` (Airflow 3); prod lists its own (Airflow 2). */
const KUBERNETES = {
  dev: { namespace: "airflow-dev", chartRelease: "airflow" },
  prod: {
    namespace: "airflow-prod",
    serviceAccounts: {
      scheduler: "scheduler",
      workers: "worker",
      triggerer: "triggerer",
      dagProcessor: "dag-processor",
      webserver: "webserver",
      migrateDatabaseJob: "migrate",
    },
  },
};
const VERSION = { dev: "3.1", prod: "2.10" };

interface Deployed {
  namespace: string;
  /** Each component's service account, from the stack output the chart values come from. */
  accounts: Record<string, string>;
  readerRoleArn: string;
  trust: Record<string, unknown>;
  readerPolicy: Record<string, unknown>;
  warehouse: { arn: string; policy: Record<string, unknown> };
}
const deployed = {} as Record<Env, Deployed>;

beforeAll(async () => {
  const args = (env: Env) =>
    awsEnvironmentArgs(env, {}, { kubernetes: KUBERNETES[env], airflow: { version: VERSION[env] } });
  const { resources, envs } = await deployEnvironments("component-identities", args("dev"), args("prod"));
  for (const [i, env] of (["dev", "prod"] as const).entries()) {
    const outputs = envs[i].backendOutputs;
    const readerRoleArn = (await resolveOutput(outputs.readerRoleArn as never)).value as string;
    const secretArns = (await resolveOutput(outputs.secretArns as never)).value as Record<string, string>;
    const name = `airflow/${env}/connections/warehouse`;
    const secret = resourcesOf(resources, "aws:secretsmanager/secret:Secret").find(
      (s) => s.inputs.name === name,
    )!;
    const accounts: Record<string, string> = {};
    for (const [component, account] of Object.entries(envs[i].serviceAccounts))
      accounts[component] = (await resolveOutput(account!.name)).value as string;
    deployed[env] = {
      namespace: KUBERNETES[env].namespace,
      accounts,
      readerRoleArn,
      trust: policyOf(
        resourceNamed(resources, "aws:iam/role:Role", `${env}-access-reader`),
        "assumeRolePolicy",
      ),
      readerPolicy: policyOf(
        resourceNamed(resources, "aws:iam/rolePolicy:RolePolicy", `${env}-access-reader-policy`),
      ),
      warehouse: { arn: secretArns[name], policy: policyOf(secret) },
    };
  }
});

/**
 * iam-simulate checks request context keys against the service authorization reference, which
 * lists web-identity keys of named issuers only (`accounts.google.com:sub`, …), not an EKS cluster's
 * `oidc.eks….:sub`, and drops unknown ones. The cluster issuer is therefore written as one it knows,
 * in the trust document and in the request alike: StringEquals reads the values, not the key's name.
 */
const KNOWN_ISSUER = "accounts.google.com";
function asKnownIssuer(document: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(document).split(`${OIDC_ISSUER}:`).join(`${KNOWN_ISSUER}:`));
}

/** May a pod running as `namespace/account` assume `env`'s reader with its projected token? */
async function canAssume(env: Env, namespace: string, account: string): Promise<boolean> {
  const response = await runSimulation(
    {
      request: {
        principal: OIDC_PROVIDER_ARN,
        action: "sts:AssumeRoleWithWebIdentity",
        resource: { resource: deployed[env].readerRoleArn, accountId: ACCOUNT },
        contextVariables: {
          [`${KNOWN_ISSUER}:sub`]: `system:serviceaccount:${namespace}:${account}`,
          [`${KNOWN_ISSUER}:aud`]: "sts.amazonaws.com",
        },
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: asKnownIssuer(deployed[env].trust),
    },
    {},
  );
  if (response.resultType === "error") throw new Error(JSON.stringify(response.errors));
  if (response.resultType === "single") expect(response.result.ignoredContextKeys).toEqual([]);
  return response.overallResult === "Allowed";
}

/** May `env`'s reader read `target`'s warehouse connection (identity and resource policy)? */
async function readerReads(env: Env, target: Env): Promise<boolean> {
  return allowed(
    await simulate({
      principal: deployed[env].readerRoleArn,
      action: "secretsmanager:GetSecretValue",
      resource: deployed[target].warehouse.arn,
      identityPolicies: [deployed[env].readerPolicy],
      resourcePolicy: deployed[target].warehouse.policy,
    }),
  );
}

/** The environments whose secrets a pod running as `namespace/account` can end up reading. */
async function readableBy(namespace: string, account: string): Promise<Env[]> {
  const reads = new Set<Env>();
  for (const role of ["dev", "prod"] as const)
    if (await canAssume(role, namespace, account))
      for (const target of ["dev", "prod"] as const) if (await readerReads(role, target)) reads.add(target);
  return [...reads].sort();
}

test("each environment runs its line's six components, as its form names them", () => {
  expect(Object.keys(deployed.dev.accounts)).toEqual(IDENTITY_COMPONENTS[3]);
  expect(deployed.dev.accounts.apiServer).toBe("airflow-api-server");
  expect(Object.values(deployed.prod.accounts)).toEqual(Object.values(KUBERNETES.prod.serviceAccounts));
});

test("the trust's subject condition lists exactly the components' accounts", () => {
  for (const env of ["dev", "prod"] as const) {
    const statement = (
      deployed[env].trust.Statement as Array<{ Condition: Record<string, Record<string, unknown>> }>
    )[0];
    expect([...(statement.Condition.StringEquals[`${OIDC_ISSUER}:sub`] as string[])].sort()).toEqual(
      Object.values(deployed[env].accounts)
        .map((a) => `system:serviceaccount:${deployed[env].namespace}:${a}`)
        .sort(),
    );
  }
});

describe.each(["dev", "prod"] as const)("%s", (env) => {
  const other: Env = env === "dev" ? "prod" : "dev";

  test("each component's service account reads its own environment and nothing else", async () => {
    const components = Object.entries(deployed[env].accounts);
    expect(components.length).toBe(6);
    for (const [component, account] of components)
      expect([component, await readableBy(deployed[env].namespace, account)]).toEqual([component, [env]]);
  });

  test("an account no component runs as, in the same namespace, cannot assume the reader", async () => {
    const strangers = [
      "default",
      "airflow",
      "airflow-flower",
      "airflow-statsd",
      "airflow-create-user-job",
    ].filter((a) => !Object.values(deployed[env].accounts).includes(a));
    expect(strangers.length).toBeGreaterThan(3);
    for (const account of strangers)
      expect([account, await canAssume(env, deployed[env].namespace, account)]).toEqual([account, false]);
  });

  test(`the same account names in ${other}'s namespace cannot assume ${env}'s reader`, async () => {
    for (const account of Object.values(deployed[env].accounts))
      expect(await canAssume(env, deployed[other].namespace, account)).toBe(false);
  });
});

test("the simulation can allow: the check above is not denying everything", async () => {
  expect(await canAssume("prod", "airflow-prod", "worker")).toBe(true);
  expect(await readerReads("prod", "prod")).toBe(true);
});
