/**
 * The pack's own IAM evaluator (policies/lib/iamEvaluator.ts) against @cloud-copilot/iam-simulate on
 * generated identity policies: for documents without conditions both must give the same verdict.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import * as fc from "fast-check";
import { decide } from "../../policies/lib/iamEvaluator";

const ACCOUNT = "123456789012";
const secret = (name: string) => `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:${name}`;
const RESOURCES = [
  secret("airflow/prod/connections/warehouse-AbCdEf"),
  secret("airflow/staging/connections/warehouse-AbCdEf"),
  secret("other/x-AbCdEf"),
];
const ACTIONS = [
  "secretsmanager:GetSecretValue",
  "secretsmanager:PutSecretValue",
  "secretsmanager:DescribeSecret",
];
const ACTION_PATTERNS = [
  ...ACTIONS,
  "secretsmanager:*",
  "secretsmanager:Get*",
  "*",
  "secretsmanager:*Secret*",
  "kms:Decrypt",
];
const RESOURCE_PATTERNS = [
  "*",
  secret("airflow/*"),
  secret("airflow/prod/*"),
  secret("airflow/prod/connections/warehouse-??????"),
  secret("other/*"),
  ...RESOURCES,
];

async function simulator(document: object, action: string, resource: string): Promise<boolean> {
  const response = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/probe`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: { "aws:PrincipalAccount": ACCOUNT },
      },
      identityPolicies: [{ name: "probe", policy: document }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (response.resultType === "error") throw new Error(JSON.stringify(response.errors));
  return response.overallResult === "Allowed";
}

const statement = fc.record({
  Effect: fc.constantFrom("Allow", "Deny"),
  actions: fc.subarray(ACTION_PATTERNS, { minLength: 1, maxLength: 3 }),
  notAction: fc.boolean(),
  resources: fc.subarray(RESOURCE_PATTERNS, { minLength: 1, maxLength: 3 }),
  notResource: fc.boolean(),
});

describe("the pack's IAM evaluator agrees with iam-simulate", () => {
  it("on generated documents, for every action and resource probed", async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(statement, { minLength: 1, maxLength: 3 }), async (statements) => {
        const document = {
          Version: "2012-10-17",
          Statement: statements.map((s) => ({
            Effect: s.Effect,
            [s.notAction ? "NotAction" : "Action"]: s.actions,
            [s.notResource ? "NotResource" : "Resource"]: s.resources,
          })),
        };
        for (const action of ACTIONS) {
          for (const resource of RESOURCES) {
            const ours = decide([document], action, resource) === "allowed";
            expect([action, resource, ours]).toEqual([
              action,
              resource,
              await simulator(document, action, resource),
            ]);
            compared++;
          }
        }
      }),
      { numRuns: 60, seed: 17 },
    );
    expect(compared).toBe(60 * ACTIONS.length * RESOURCES.length);
  }, 120_000);
});
