/**
 * identity-grants-scoped on every cloud: principals found by their bindings, grants collected from
 * everything attached (attached managed IAM policies, project and secret bindings, role assignments
 * at any scope, Key Vault access policies), Airflow held to read-in-environment and CI to never-read.
 */
import { identityGrantsScoped as policy } from "../../policies/policies";
import { environment, resource, violations } from "./harness";

const PROD = environment("prod", { environment: "prod", production: true, namespace: "airflow-prod" });
const r = (type: string, name: string, inputs: Record<string, unknown>, computed?: Record<string, unknown>) =>
  resource("prod", type, name, inputs, { computed });

describe("AWS: attached managed policies and the CI writer", () => {
  const github = JSON.stringify({
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com" },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: { "token.actions.githubusercontent.com:sub": "repo:acme/x:environment:prod" },
        },
      },
    ],
  });
  const writer = (statements: object[]) => [
    PROD,
    r("aws:iam/role:Role", "ci", { name: "airflow-prod-writer", assumeRolePolicy: github }),
    r(
      "aws:iam/policy:Policy",
      "writer-policy",
      { policy: JSON.stringify({ Statement: statements }) },
      { arn: "arn:aws:iam::1:policy/w" },
    ),
    r("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "attach", {
      role: "airflow-prod-writer",
      policyArn: "arn:aws:iam::1:policy/w",
    }),
  ];
  const put = {
    Sid: "Write",
    Effect: "Allow",
    Action: "secretsmanager:PutSecretValue",
    Resource: "arn:aws:secretsmanager:*:1:secret:airflow/prod/*",
  };

  it("passes a writer that writes, and one whose broad grant an explicit deny takes back", async () => {
    expect(await violations(policy, writer([put]))).toEqual([]);
    const broad = { Sid: "All", Effect: "Allow", Action: "secretsmanager:*", Resource: "*" };
    const deny = {
      Effect: "Deny",
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"],
      Resource: "*",
    };
    expect(await violations(policy, writer([broad, deny]))).toEqual([]);
  });

  it("reports a writer that can read through an attached managed policy", async () => {
    const read = { Sid: "Read", Effect: "Allow", Action: "secretsmanager:Get*", Resource: "*" };
    expect(await violations(policy, writer([put, read]))).toEqual([
      'aws:iam/role:Role "ci" (the CI writer): aws:iam/policy:Policy "writer-policy" statement "Read" allows secretsmanager:GetSecretValue on "*"; a writer never reads.',
    ]);
  });

  it("reports an AWS managed policy on Airflow's role, which cannot be confined", async () => {
    const irsa = r("aws:iam/role:Role", "irsa", {
      assumeRolePolicy: JSON.stringify({
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: "arn:aws:iam::1:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X" },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: {
                "oidc.eks.eu-west-1.amazonaws.com/id/X:sub": "system:serviceaccount:airflow-prod:airflow",
              },
            },
          },
        ],
      }),
      managedPolicyArns: ["arn:aws:iam::aws:policy/SecretsManagerReadWrite"],
    });
    expect(await violations(policy, [PROD, irsa])).toEqual([
      'aws:iam/role:Role "irsa" (Airflow\'s identity) has managed policy "arn:aws:iam::aws:policy/SecretsManagerReadWrite" attached, which this stack does not define: its grants cannot be confined to the environment.',
    ]);
  });
});

describe("GCP: the Workload Identity service account's bindings", () => {
  const email = "airflow@acme.iam.gserviceaccount.com";
  const fixtures = (
    grant: Record<string, unknown>,
    type = "gcp:secretmanager/secretIamMember:SecretIamMember",
  ) => [
    PROD,
    r(
      "gcp:serviceaccount/account:Account",
      "gsa",
      { accountId: "airflow" },
      { email, member: `serviceAccount:${email}`, name: `projects/acme/serviceAccounts/${email}` },
    ),
    r("gcp:serviceaccount/iAMMember:IAMMember", "wi", {
      serviceAccountId: `projects/acme/serviceAccounts/${email}`,
      role: "roles/iam.workloadIdentityUser",
      member: "serviceAccount:acme.svc.id.goog[airflow-prod/airflow]",
    }),
    r("gcp:secretmanager/secret:Secret", "w", { secretId: "airflow-prod-connections-w" }),
    r(type, "grant", { member: `serviceAccount:${email}`, ...grant }),
  ];

  it("passes secretAccessor on a secret of the environment", async () => {
    expect(
      await violations(policy, fixtures({ secretId: "w-id", role: "roles/secretmanager.secretAccessor" })),
    ).toEqual([]);
  });

  it("reports an admin role, a secret of another environment and a project-wide grant", async () => {
    expect(
      await violations(policy, fixtures({ secretId: "w-id", role: "roles/secretmanager.admin" })),
    ).toEqual([
      'gcp:serviceaccount/account:Account "gsa" (Airflow\'s identity): gcp:secretmanager/secretIamMember:SecretIamMember "grant" grants roles/secretmanager.admin; Airflow only reads (roles/secretmanager.secretAccessor).',
    ]);
    expect(
      await violations(
        policy,
        fixtures({ secretId: "airflow-staging-connections-w", role: "roles/secretmanager.secretAccessor" }),
      ),
    ).toEqual([
      'gcp:serviceaccount/account:Account "gsa" (Airflow\'s identity): gcp:secretmanager/secretIamMember:SecretIamMember "grant" grants roles/secretmanager.secretAccessor on a secret outside the "prod" environment.',
    ]);
    expect(
      await violations(
        policy,
        fixtures(
          { project: "acme", role: "roles/secretmanager.secretAccessor" },
          "gcp:projects/iAMMember:IAMMember",
        ),
      ),
    ).toEqual([
      'gcp:serviceaccount/account:Account "gsa" (Airflow\'s identity): gcp:projects/iAMMember:IAMMember "grant" grants roles/secretmanager.secretAccessor on the whole project: every environment\'s secrets, not only the "prod" environment.',
    ]);
  });
});

describe("Azure: the federated identity's role assignments and access policies", () => {
  const principalId = "11111111-2222-3333-4444-555555555555";
  const vaultId = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-airflow-prod";
  const fixtures = (assignment: Record<string, unknown>, accessPolicies: unknown[] = []) => [
    PROD,
    r(
      "azure-native:managedidentity:UserAssignedIdentity",
      "id",
      { resourceName: "id-airflow-prod" },
      { principalId },
    ),
    r("azure-native:managedidentity:FederatedIdentityCredential", "fic", {
      resourceName: "id-airflow-prod",
      issuer: "https://aks.example/",
      subject: "system:serviceaccount:airflow-prod:airflow",
    }),
    r(
      "azure-native:keyvault:Vault",
      "kv",
      { vaultName: "kv-airflow-prod", properties: { accessPolicies } },
      { id: vaultId },
    ),
    r("azure-native:authorization:RoleAssignment", "ra", { principalId, ...assignment }),
  ];
  const role = (guid: string) => `/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
  const SECRETS_USER = role("4633458b-17de-408a-b874-0445c86b69e6");
  const SECRETS_OFFICER = role("b86a8fe4-44ce-4948-aee5-eccb2c155cd7");

  it("passes Key Vault Secrets User on the environment's vault", async () => {
    expect(await violations(policy, fixtures({ scope: vaultId, roleDefinitionId: SECRETS_USER }))).toEqual(
      [],
    );
  });

  it("reports a writing role, a subscription-wide scope and an access policy beyond get/list", async () => {
    expect(await violations(policy, fixtures({ scope: vaultId, roleDefinitionId: SECRETS_OFFICER }))).toEqual(
      [
        'azure-native:managedidentity:UserAssignedIdentity "id" (Airflow\'s identity): azure-native:authorization:RoleAssignment "ra" assigns Key Vault Secrets Officer, which writes; Airflow only reads.',
      ],
    );
    expect(
      await violations(policy, fixtures({ scope: "/subscriptions/s", roleDefinitionId: SECRETS_USER })),
    ).toEqual([
      'azure-native:managedidentity:UserAssignedIdentity "id" (Airflow\'s identity): azure-native:authorization:RoleAssignment "ra" assigns Key Vault Secrets User at scope "/subscriptions/s", above any one vault outside the "prod" environment.',
    ]);
    expect(
      await violations(
        policy,
        fixtures({ scope: vaultId, roleDefinitionId: SECRETS_USER }, [
          { objectId: principalId, tenantId: "t", permissions: { secrets: ["get", "list", "set"] } },
        ]),
      ),
    ).toEqual([
      'azure-native:managedidentity:UserAssignedIdentity "id" (Airflow\'s identity): the access policy of azure-native:keyvault:Vault "kv" grants secrets set; Airflow only reads (get, list).',
    ]);
  });

  // The rotator keeps pending credentials as blobs of its own storage (components/azure/rotation.ts):
  // any storage role for Airflow's identity or a CI identity, there or above, is reported.
  const journals =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stafrotprod0a1b2c/blobServices/default/containers/rotation-journals";
  const BLOB_DATA_READER = role("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1");

  it("reports a storage role on the rotator's journal container held by Airflow's identity", async () => {
    expect(
      await violations(policy, fixtures({ scope: journals, roleDefinitionId: BLOB_DATA_READER })),
    ).toEqual([
      `azure-native:managedidentity:UserAssignedIdentity "id" (Airflow's identity): azure-native:authorization:RoleAssignment "ra" assigns role "${BLOB_DATA_READER}", which this pack cannot evaluate; Airflow only reads.`,
      `azure-native:managedidentity:UserAssignedIdentity "id" (Airflow's identity): azure-native:authorization:RoleAssignment "ra" assigns role "${BLOB_DATA_READER}" at scope "${journals}", above any one vault outside the "prod" environment.`,
    ]);
  });

  it("reports a storage role on the journal container held by a CI identity", async () => {
    const ci = [
      PROD,
      r(
        "azure-native:managedidentity:UserAssignedIdentity",
        "ci",
        { resourceName: "id-ci" },
        { principalId },
      ),
      r("azure-native:managedidentity:FederatedIdentityCredential", "ci-fic", {
        resourceName: "id-ci",
        issuer: "https://token.actions.githubusercontent.com",
        subject: "repo:acme/airflow:environment:prod",
      }),
      r("azure-native:authorization:RoleAssignment", "ra", {
        principalId,
        scope: journals,
        roleDefinitionId: BLOB_DATA_READER,
      }),
    ];
    expect(await violations(policy, ci)).toEqual([
      `azure-native:managedidentity:UserAssignedIdentity "ci" (the CI writer): azure-native:authorization:RoleAssignment "ra" assigns role "${BLOB_DATA_READER}", which this pack cannot evaluate; a writer never reads.`,
    ]);
  });
});
