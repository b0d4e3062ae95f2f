import { runSimulation } from "@cloud-copilot/iam-simulate";
import { readerPolicyScoped as policy } from "../../policies/policies";
import { parseVaultPolicy } from "../../policies/lib/vaultPolicyDocument";
import { resource, violations } from "./harness";

const ACCOUNT = "123456789012";
const arn = (name: string) => `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:${name}`;
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/mrk-1`;

const vaultReader = (stack: string, hcl: string, name = "airflow-prod-reader") =>
  resource(stack, "vault:index/policy:Policy", `${stack}-vault-policies-reader`, { name, policy: hcl });

describe("reader-policy-read-only-in-environment: Vault", () => {
  const compliant = `
# Airflow's VaultBackend reads these (KV v2).
path "airflow/data/prod/connections/*" {
  capabilities = ["read"]
}
path "airflow/data/prod/variables/*" { capabilities = ["read"] }
path "airflow/data/prod/connections/*" {
  denied_parameters = {}
}
path "database/creds/airflow-prod-readonly" { capabilities = ["read"] }
`;

  it("passes a reader that only reads its environment's KV paths and database roles", async () => {
    // The fixture itself is what Vault would see: parsed by HashiCorp's HCL parser.
    expect((await parseVaultPolicy(compliant)).map((r) => r.path)).toEqual([
      "airflow/data/prod/connections/*",
      "airflow/data/prod/variables/*",
      "database/creds/airflow-prod-readonly",
    ]);
    expect(await violations(policy, [vaultReader("prod", compliant)])).toEqual([]);
  });

  it("reports extra capabilities, other environments, globbed mounts and other paths", async () => {
    const hcl = `
path "airflow/data/prod/connections/*" { capabilities = ["read", "list"] }
path "airflow/data/staging/connections/*" { capabilities = ["read"] }
path "airflow/data/*" { capabilities = ["read"] }
path "+/data/prod/variables/*" { capabilities = ["read"] }
path "sys/mounts" { capabilities = ["read"] }
path "database/creds/*" { capabilities = ["read"] }
`;
    // hcl2json returns path blocks in key order, not file order.
    expect((await violations(policy, [vaultReader("prod", hcl)])).sort()).toEqual(
      [
        'Vault policy "prod-vault-policies-reader" grants list on "airflow/data/prod/connections/*"; a reader only reads.',
        'Vault policy "prod-vault-policies-reader" reads "airflow/data/staging/connections/*", outside {mount}/data/prod/ and not a database role of "prod".',
        'Vault policy "prod-vault-policies-reader" reads "airflow/data/*", outside {mount}/data/prod/ and not a database role of "prod".',
        'Vault policy "prod-vault-policies-reader" reads "+/data/prod/variables/*", outside {mount}/data/prod/ and not a database role of "prod".',
        'Vault policy "prod-vault-policies-reader" reads "sys/mounts", outside {mount}/data/prod/ and not a database role of "prod".',
        'Vault policy "prod-vault-policies-reader" reads "database/creds/*", outside {mount}/data/prod/ and not a database role of "prod".',
      ].sort(),
    );
  });

  it("leaves writer policies to their own review and reports a reader that does not parse", async () => {
    const writer = resource("prod", "vault:index/policy:Policy", "prod-vault-policies-writer", {
      name: "airflow-prod-writer",
      policy: 'path "airflow/data/prod/connections/*" { capabilities = ["create", "update"] }',
    });
    expect(await violations(policy, [writer])).toEqual([]);
    const [message] = await violations(policy, [
      vaultReader("prod", 'path "airflow/data/prod/x" { capabilities = '),
    ]);
    expect(message).toMatch(/^Vault policy "prod-vault-policies-reader" does not parse: /);
  });

  it("confines a stack named prod-gcp to the prod environment, or to the configured one", async () => {
    expect(await violations(policy, [vaultReader("prod-gcp", compliant)])).toEqual([]);
    expect(
      await violations(policy, [vaultReader("prod", compliant)], {
        "reader-policy-read-only-in-environment": { environment: "production" },
      }),
    ).toHaveLength(3);
  });
});

/** What IAM itself decides for the reader document: can it write, or read another environment? */
async function iamDecides(
  document: object,
): Promise<{ writes: boolean; readsOtherEnvironment: boolean; readsOwn: boolean }> {
  const decide = async (action: string, target: string) => {
    const response = await runSimulation(
      {
        request: {
          principal: `arn:aws:iam::${ACCOUNT}:role/airflow-prod-secrets-reader`,
          action,
          resource: { resource: target, accountId: ACCOUNT },
          contextVariables: { "aws:PrincipalAccount": ACCOUNT },
        },
        identityPolicies: [{ name: "reader", policy: document }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (response.resultType === "error") throw new Error(JSON.stringify(response.errors));
    return response.overallResult === "Allowed";
  };
  return {
    writes: await decide("secretsmanager:PutSecretValue", arn("airflow/prod/connections/warehouse-AbCdEf")),
    readsOtherEnvironment: await decide(
      "secretsmanager:GetSecretValue",
      arn("airflow/staging/connections/warehouse-AbCdEf"),
    ),
    readsOwn: await decide("secretsmanager:GetSecretValue", arn("airflow/prod/connections/warehouse-AbCdEf")),
  };
}

describe("reader-policy-read-only-in-environment: AWS", () => {
  const statement = (action: string | string[], target: string | string[]) => ({
    Version: "2012-10-17",
    Statement: [
      { Sid: "Read", Effect: "Allow", Action: action, Resource: target },
      { Sid: "Decrypt", Effect: "Allow", Action: "kms:Decrypt", Resource: KEY },
    ],
  });
  const documents: Array<[string, object]> = [
    [
      "get and describe under airflow/prod/",
      statement(["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], arn("airflow/prod/*")),
    ],
    [
      "one exact secret",
      statement("secretsmanager:GetSecretValue", arn("airflow/prod/connections/warehouse-AbCdEf")),
    ],
    ["every secret under airflow/", statement("secretsmanager:GetSecretValue", arn("airflow/*"))],
    [
      "a prefix that also matches production-like names",
      statement("secretsmanager:GetSecretValue", arn("airflow/prod*")),
    ],
    ["secretsmanager:*", statement("secretsmanager:*", arn("airflow/prod/*"))],
    ["Get* on every resource", statement("secretsmanager:Get*", "*")],
  ];

  it.each(documents)("agrees with IAM's own evaluation: %s", async (_label, document) => {
    const iam = await iamDecides(document);
    const reader = resource("prod", "aws:iam/rolePolicy:RolePolicy", "prod-access-reader-policy", {
      role: "airflow-prod-secrets-reader",
      policy: JSON.stringify(document),
    });
    const found = await violations(policy, [reader]);
    // Over-broad in IAM's eyes exactly when the policy reports it; "prod*" is broad only by name (prod-archive…).
    const broadByName = JSON.stringify(document).includes("airflow/prod*");
    expect(found.length > 0).toBe(iam.writes || iam.readsOtherEnvironment || broadByName);
    expect(iam.readsOwn).toBe(true);
  });

  it("names the statement and the problem", async () => {
    const reader = resource("prod", "aws:iam/rolePolicy:RolePolicy", "prod-access-reader-policy", {
      policy: statement(["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"], arn("airflow/*")),
    });
    expect(await violations(policy, [reader])).toEqual([
      'Role policy "prod-access-reader-policy": statement "Read" allows secretsmanager:PutSecretValue; a reader only gets and describes.',
      'Role policy "prod-access-reader-policy": statement "Read" reaches "arn:aws:secretsmanager:eu-west-1:123456789012:secret:airflow/*", not confined to the "prod" prefix.',
    ]);
  });

  it("checks reader roles' inline policies", async () => {
    const role = resource("prod", "aws:iam/role:Role", "prod-access-reader", {
      name: "airflow-prod-secrets-reader",
      inlinePolicies: [
        { name: "read", policy: JSON.stringify(statement("secretsmanager:GetSecretValue", "*")) },
      ],
    });
    expect(await violations(policy, [role])).toEqual([
      'Role policy "prod-access-reader" inline policy "read": statement "Read" applies to Resource "*".',
    ]);
  });
});

describe("reader-policy-read-only-in-environment: GCP", () => {
  it("reports project-wide Secret Manager grants unless a condition confines them to the environment", async () => {
    const grant = (condition?: unknown) =>
      resource("prod", "gcp:projects/iAMMember:IAMMember", "airflow-accessor", {
        project: "acme-data",
        role: "roles/secretmanager.secretAccessor",
        member: "serviceAccount:airflow@acme-data.iam.gserviceaccount.com",
        condition,
      });
    expect(await violations(policy, [grant()])).toEqual([
      '"airflow-accessor" grants roles/secretmanager.secretAccessor on the whole project: every environment\'s secrets, not only "prod".',
    ]);
    const confined = {
      title: "prod only",
      expression: 'resource.name.startsWith("projects/123/secrets/airflow-prod-")',
    };
    expect(await violations(policy, [grant(confined)])).toEqual([]);
  });
});
