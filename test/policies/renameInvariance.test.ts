/**
 * Rename invariance: renaming the stack, the environment, Vault policies, IAM roles, service
 * accounts and every Pulumi resource name across a fixture set changes no verdict. The renamings
 * are generated; verdicts are compared as (policy, resource position, message with names mapped back).
 */
import * as fc from "fast-check";
import { policies } from "../../policies/policies";
import { Fixture, environment, resource, runPolicy } from "./harness";

interface Names {
  stack: string;
  env: string;
  namespace: string;
  serviceAccount: string;
  policy: string;
  role: string;
  resource: string;
}

// Names unlike any word of a message, so mapping them back to placeholders is exact.
const ORIGINAL: Names = {
  stack: "zqstack",
  env: "zqenv",
  namespace: "zqnamespace",
  serviceAccount: "zqaccount",
  policy: "zqpolicy",
  role: "zqrole",
  resource: "zqres",
};

/** One production program mixing compliant and violating resources on every cloud. */
function fixtures(n: Names): Fixture[] {
  const r = (type: string, suffix: string, inputs: Record<string, unknown>, protect = false) =>
    resource(n.stack, type, `${n.resource}-${suffix}`, inputs, { protect });
  return [
    environment(n.stack, {
      environment: n.env,
      production: true,
      namespace: n.namespace,
      serviceAccount: n.serviceAccount,
    }),
    r("vault:kubernetes/authBackendRole:AuthBackendRole", "k8s-role", {
      boundServiceAccountNames: [n.serviceAccount],
      boundServiceAccountNamespaces: ["*"],
      tokenPolicies: [n.policy],
    }),
    r("vault:index/policy:Policy", "policy", {
      name: n.policy,
      policy: `path "airflow/data/${n.env}/connections/*" { capabilities = ["read", "list"] }\npath "airflow/data/other-env/x" { capabilities = ["read"] }`,
    }),
    r("aws:iam/role:Role", "irsa", {
      name: n.role,
      assumeRolePolicy: JSON.stringify({
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: "arn:aws:iam::1:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X" },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: {
                "oidc.eks.eu-west-1.amazonaws.com/id/X:sub": `system:serviceaccount:${n.namespace}:${n.serviceAccount}`,
              },
            },
          },
        ],
      }),
      inlinePolicies: [
        {
          name: "read",
          policy: JSON.stringify({
            Statement: [
              {
                Sid: "Read",
                Effect: "Allow",
                Action: "secretsmanager:*",
                Resource: "arn:aws:secretsmanager:eu-west-1:1:secret:airflow/*",
              },
            ],
          }),
        },
      ],
    }),
    r("aws:kms/key:Key", "key", { deletionWindowInDays: 7 }),
    r("aws:secretsmanager/secret:Secret", "secret", { name: `airflow/${n.env}/connections/warehouse` }),
    r("aws:lambda/function:Function", "fn", { environment: { variables: { DB_PASSWORD: "pw" } } }),
    r("azure-native:keyvault:Vault", "kv", { properties: { enableSoftDelete: true } }, true),
  ];
}

/** The verdict with every generated name mapped back to the original, so two runs can be compared. */
async function verdict(n: Names): Promise<string[]> {
  const found: string[] = [];
  const set = fixtures(n);
  for (const policy of policies) {
    const analysis = await runPolicy(policy, set, {}, { raw: true });
    for (const v of analysis.violations) {
      let message = `${policy.name} @${set.findIndex((f) => f.urn === v.urn)}: ${v.message}`;
      // Longest first, so a name that contains another is replaced whole.
      const pairs = (Object.keys(n) as Array<keyof Names>)
        .map((k) => [n[k], k] as const)
        .sort((a, b) => b[0].length - a[0].length);
      for (const [from, to] of pairs) message = message.split(from).join(`<${to}>`);
      found.push(message);
    }
    found.push(`${policy.name} not applicable: ${analysis.notApplicable.length}`);
  }
  return found.sort();
}

const name = (prefix: string) => fc.stringMatching(/^[a-z][a-z0-9]{2,8}$/).map((s) => `zq${prefix}${s}`);

describe("verdicts do not depend on names", () => {
  it("renaming stack, environment, policies, roles, service accounts and resources changes nothing", async () => {
    const baseline = await verdict(ORIGINAL);
    // The baseline exercises the pack: several policies find something.
    expect(
      new Set(baseline.filter((m) => m.includes("@")).map((m) => m.split(" ")[0])).size,
    ).toBeGreaterThanOrEqual(5);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          stack: name("s"),
          env: name("e"),
          namespace: name("n"),
          serviceAccount: name("a"),
          policy: name("p"),
          role: name("r"),
          resource: name("x"),
        }),
        async (names) => {
          fc.pre(new Set(Object.values(names)).size === 7);
          expect(await verdict(names)).toEqual(baseline);
        },
      ),
      { numRuns: 25, seed: 17 },
    );
  }, 120_000);
});
