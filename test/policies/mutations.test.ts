/**
 * Every policy of the pack, in compliance-policies' baseline-plus-mutation pattern: a compliant
 * production (or, for the non-production rule, development) program passes, and each single-field
 * mutation of it is reported with exactly one expected message. The remediation-only policy is
 * held to its remediation instead of a message.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- fixtures are mutated by path, as CrossGuard hands props */
import { policies } from "../../policies/policies";
import { Fixture, environment, resource, runPolicy, secret } from "./harness";

const PROD = environment("prod", { environment: "prod", production: true, namespace: "airflow-prod" });
const DEV = environment("dev", { environment: "dev", production: false, namespace: "airflow-dev" });
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/1";
const POSTGRES = JSON.stringify({ conn_type: "postgres", host: "db", login: "airflow", password: "pw" });
const OIDC = "oidc.eks.eu-west-1.amazonaws.com/id/X";

const trust = (operator: string, sub: string) =>
  JSON.stringify({
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${OIDC}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { [operator]: { [`${OIDC}:sub`]: sub } },
      },
    ],
  });
const readerDocument = (action: string, target: string) =>
  JSON.stringify({ Statement: [{ Sid: "Read", Effect: "Allow", Action: action, Resource: target }] });
const prodSecretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:airflow/prod/*";
/** Across accounts: Airflow's IRSA role in a workload account assumes the reader in the secrets account. */
const SECRETS_ACCOUNT_READER = "arn:aws:iam::111111111111:role/airflow-prod-secrets-central-reader";
const assumeDocument = (target: string) =>
  JSON.stringify({
    Statement: [{ Sid: "Assume", Effect: "Allow", Action: "sts:AssumeRole", Resource: target }],
  });

interface Case {
  baseline: Fixture[];
  /** label, mutation of one field of the named fixture, the exact message expected. */
  mutations: Array<[string, string, (inputs: Record<string, any>, fixture: Fixture) => void, string]>;
}

const p = (type: string, name: string, inputs: Record<string, unknown>, protect = false) =>
  resource("prod", type, name, inputs, { protect });
const d = (type: string, name: string, inputs: Record<string, unknown>) =>
  resource("dev", type, name, inputs);

const CASES: Record<string, Case> = {
  "secrets-encrypted-with-cmk": {
    baseline: [
      PROD,
      p("aws:secretsmanager/secret:Secret", "s", {
        name: "airflow/prod/connections/w",
        kmsKeyId: KEY,
        replicas: [{ region: "eu-central-1", kmsKeyId: KEY }],
      }),
      p("aws:ssm/parameter:Parameter", "param", { type: "SecureString", keyId: KEY }),
      p("gcp:secretmanager/secret:Secret", "g", {
        secretId: "airflow-prod-connections-w",
        replication: {
          userManaged: {
            replicas: [
              { location: "europe-west1", customerManagedEncryption: { kmsKeyName: "projects/p/k" } },
            ],
          },
        },
      }),
    ],
    mutations: [
      [
        "AWS-managed key",
        "s",
        (i) => (i.kmsKeyId = "alias/aws/secretsmanager"),
        'Secrets Manager secret "s" uses the AWS-managed key: set kmsKeyId to a customer-managed KMS key.',
      ],
      [
        "replica without key",
        "s",
        (i) => delete i.replicas[0].kmsKeyId,
        'Secrets Manager secret "s": replica in eu-central-1 has no customer-managed kmsKeyId.',
      ],
      [
        "SSM default key",
        "param",
        (i) => (i.keyId = "alias/aws/ssm"),
        'SecureString parameter "param" uses alias/aws/ssm: set keyId to a customer-managed KMS key.',
      ],
      [
        "GCP replica Google-managed",
        "g",
        (i) => delete i.replication.userManaged.replicas[0].customerManagedEncryption,
        'Secret Manager secret "g": replica 0 (europe-west1) has no customerManagedEncryption.kmsKeyName.',
      ],
    ],
  },
  "rotation-within-cadence": {
    baseline: [
      PROD,
      p("aws:secretsmanager/secret:Secret", "s", { name: "airflow/prod/connections/w" }),
      p("aws:secretsmanager/secretVersion:SecretVersion", "v", {
        secretId: "s-id",
        secretString: secret(POSTGRES),
      }),
      p("aws:secretsmanager/secretRotation:SecretRotation", "r", {
        secretId: "s-id",
        rotationRules: { automaticallyAfterDays: 30 },
      }),
    ],
    mutations: [
      [
        "too rare",
        "r",
        (i) => (i.rotationRules.automaticallyAfterDays = 120),
        'aws:secretsmanager/secretRotation:SecretRotation "r" rotates every 120 days; the limit is 90 days.',
      ],
      [
        "no verifiable period",
        "r",
        (i) => (i.rotationRules = {}),
        'aws:secretsmanager/secretRotation:SecretRotation "r" has no rotation period this policy can verify: use rotationRules.automaticallyAfterDays or rate(N days).',
      ],
      [
        "rotation of another secret",
        "r",
        (i) => (i.secretId = "other-id"),
        'aws:secretsmanager/secret:Secret "s" holds a postgres connection and has no SecretRotation.',
      ],
    ],
  },
  "kms-key-rotation-and-deletion-window": {
    baseline: [PROD, p("aws:kms/key:Key", "k", { enableKeyRotation: true, deletionWindowInDays: 30 })],
    mutations: [
      [
        "rotation off",
        "k",
        (i) => (i.enableKeyRotation = false),
        'KMS key "k" has enableKeyRotation off: set enableKeyRotation: true.',
      ],
      [
        "7-day window",
        "k",
        (i) => (i.deletionWindowInDays = 7),
        'KMS key "k" has a 7-day deletion window; production needs 30 days.',
      ],
      [
        "rotation period too long",
        "k",
        (i) => (i.rotationPeriodInDays = 400),
        'KMS key "k" rotates every 400 days; the limit is 365.',
      ],
    ],
  },
  "key-vault-purge-protection": {
    baseline: [
      PROD,
      p(
        "azure-native:keyvault:Vault",
        "kv",
        {
          properties: { enableSoftDelete: true, enablePurgeProtection: true, softDeleteRetentionInDays: 90 },
        },
        true,
      ),
    ],
    mutations: [
      [
        "soft delete off",
        "kv",
        (i) => (i.properties.enableSoftDelete = false),
        'Key Vault "kv" disables soft delete: deleted secrets and keys could not be recovered.',
      ],
      [
        "purge protection off",
        "kv",
        (i) => (i.properties.enablePurgeProtection = false),
        'Key Vault "kv" has no purge protection: set properties.enablePurgeProtection: true.',
      ],
      [
        "short retention",
        "kv",
        (i) => (i.properties.softDeleteRetentionInDays = 7),
        'Key Vault "kv" keeps deleted objects 7 days; production needs 30.',
      ],
    ],
  },
  "no-long-lived-cloud-credentials": {
    baseline: [PROD, p("aws:iam/role:Role", "cred", { name: "airflow-prod-reader" })],
    mutations: [
      [
        "access key",
        "cred",
        (_i, f) => (f.type = "aws:iam/accessKey:AccessKey"),
        '"cred" creates an IAM access key, a long-lived credential.',
      ],
      [
        "service account key",
        "cred",
        (_i, f) => (f.type = "gcp:serviceaccount/key:Key"),
        '"cred" creates a service account key, a long-lived credential.',
      ],
      [
        "client secret",
        "cred",
        (_i, f) => (f.type = "azuread:index/applicationPassword:ApplicationPassword"),
        '"cred" creates an Entra ID application client secret, a long-lived credential.',
      ],
    ],
  },
  "identity-grants-scoped": {
    baseline: [
      PROD,
      p("vault:kubernetes/authBackendRole:AuthBackendRole", "role", {
        boundServiceAccountNames: ["airflow"],
        boundServiceAccountNamespaces: ["airflow-prod"],
        tokenPolicies: ["airflow-prod-reader"],
      }),
      p("vault:index/policy:Policy", "pol", {
        name: "airflow-prod-reader",
        policy: 'path "airflow/data/prod/connections/*" { capabilities = ["read"] }',
      }),
      p("aws:iam/role:Role", "irsa", {
        name: "airflow-prod-secrets-reader",
        assumeRolePolicy: trust("StringEquals", "system:serviceaccount:airflow-prod:airflow"),
        inlinePolicies: [
          { name: "read", policy: readerDocument("secretsmanager:GetSecretValue", prodSecretArn) },
        ],
      }),
      p("aws:iam/role:Role", "workload", {
        name: "airflow-prod-secrets-irsa",
        assumeRolePolicy: trust("StringEquals", "system:serviceaccount:airflow-prod:airflow"),
        inlinePolicies: [{ name: "assume", policy: assumeDocument(SECRETS_ACCOUNT_READER) }],
      }),
      resource(
        "prod",
        "aws:iam/role:Role",
        "central-reader",
        {
          name: "airflow-prod-secrets-central-reader",
          assumeRolePolicy: JSON.stringify({
            Statement: [
              {
                Effect: "Allow",
                Principal: { AWS: "arn:aws:iam::222222222222:role/airflow-prod-secrets-irsa" },
                Action: "sts:AssumeRole",
              },
            ],
          }),
          inlinePolicies: [
            {
              name: "read",
              policy: readerDocument(
                "secretsmanager:GetSecretValue",
                "arn:aws:secretsmanager:eu-west-1:111111111111:secret:airflow/prod/*",
              ),
            },
          ],
        },
        { computed: { arn: SECRETS_ACCOUNT_READER } },
      ),
    ],
    mutations: [
      [
        "AWS workload role assumes another environment's reader",
        "workload",
        (i) =>
          (i.inlinePolicies[0].policy = assumeDocument(
            "arn:aws:iam::111111111111:role/airflow-dev-secrets-reader",
          )),
        'aws:iam/role:Role "workload" (Airflow\'s identity): inline policy "assume" statement "Assume" may assume "arn:aws:iam::111111111111:role/airflow-dev-secrets-reader", a role outside the "prod" environment.',
      ],
      [
        "AWS workload role assumes any reader",
        "workload",
        (i) =>
          (i.inlinePolicies[0].policy = assumeDocument(
            "arn:aws:iam::111111111111:role/airflow-*-secrets-reader",
          )),
        'aws:iam/role:Role "workload" (Airflow\'s identity): inline policy "assume" statement "Assume" may assume any role matching "arn:aws:iam::111111111111:role/airflow-*-secrets-reader"; Airflow\'s identity assumes only its environment\'s reader, by exact ARN.',
      ],
      [
        "AWS assumed reader reads another environment",
        "central-reader",
        (i) =>
          (i.inlinePolicies[0].policy = readerDocument(
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:eu-west-1:111111111111:secret:airflow/dev/*",
          )),
        'aws:iam/role:Role "central-reader" (Airflow\'s identity): inline policy "read" statement "Read" reads "arn:aws:secretsmanager:eu-west-1:111111111111:secret:airflow/dev/*", outside the "prod" environment.',
      ],
      [
        "Vault update",
        "pol",
        (i) => (i.policy = 'path "airflow/data/prod/connections/*" { capabilities = ["read", "update"] }'),
        'vault:kubernetes/authBackendRole:AuthBackendRole "role" (Airflow\'s identity) gets update on "airflow/data/prod/connections/*" from Vault policy "airflow-prod-reader"; Airflow only reads.',
      ],
      [
        "Vault other environment",
        "pol",
        (i) => (i.policy = 'path "airflow/data/staging/connections/*" { capabilities = ["read"] }'),
        'vault:kubernetes/authBackendRole:AuthBackendRole "role" (Airflow\'s identity) reads "airflow/data/staging/connections/*" through Vault policy "airflow-prod-reader", outside the "prod" environment.',
      ],
      [
        "AWS write action",
        "irsa",
        (i) => (i.inlinePolicies[0].policy = readerDocument("secretsmanager:PutSecretValue", prodSecretArn)),
        'aws:iam/role:Role "irsa" (Airflow\'s identity): inline policy "read" statement "Read" allows secretsmanager:PutSecretValue on "arn:aws:secretsmanager:eu-west-1:123456789012:secret:airflow/prod/*"; Airflow only reads.',
      ],
      [
        "AWS every environment",
        "irsa",
        (i) =>
          (i.inlinePolicies[0].policy = readerDocument(
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:airflow/*",
          )),
        'aws:iam/role:Role "irsa" (Airflow\'s identity): inline policy "read" statement "Read" reads "arn:aws:secretsmanager:eu-west-1:123456789012:secret:airflow/*", outside the "prod" environment.',
      ],
    ],
  },
  "workload-identity-bound-exactly": {
    baseline: [
      PROD,
      p("vault:kubernetes/authBackendRole:AuthBackendRole", "role", {
        boundServiceAccountNames: ["airflow"],
        boundServiceAccountNamespaces: ["airflow-prod"],
      }),
      p("aws:iam/role:Role", "irsa", {
        assumeRolePolicy: trust("StringEquals", "system:serviceaccount:airflow-prod:airflow"),
      }),
      p("azure-native:managedidentity:UserAssignedIdentity", "id", { resourceName: "id-airflow-prod" }),
      p("azure-native:managedidentity:FederatedIdentityCredential", "fic", {
        resourceName: "id-airflow-prod",
        issuer: "https://aks.example/",
        subject: "system:serviceaccount:airflow-prod:airflow",
      }),
    ],
    mutations: [
      [
        "Vault any service account",
        "role",
        (i) => (i.boundServiceAccountNames = ["*"]),
        'vault:kubernetes/authBackendRole:AuthBackendRole "role" can be assumed by any Kubernetes pod matching service account "*" (boundServiceAccountNames / boundServiceAccountNamespaces).',
      ],
      [
        "IRSA any namespace",
        "irsa",
        (i) => (i.assumeRolePolicy = trust("StringLike", "system:serviceaccount:*:airflow")),
        'aws:iam/role:Role "irsa" can be assumed by any Kubernetes pod matching namespace "*" (the trust policy\'s <issuer>:sub condition).',
      ],
      [
        "Azure any namespace",
        "fic",
        (i) => (i.subject = "system:serviceaccount:*:airflow"),
        'azure-native:managedidentity:UserAssignedIdentity "id" can be assumed by any Kubernetes pod matching namespace "*" (the federated credential\'s subject of azure-native:managedidentity:FederatedIdentityCredential "fic").',
      ],
      [
        "Vault a service account no component runs as",
        "role",
        (i) => (i.boundServiceAccountNames = ["airflow", "default"]),
        'vault:kubernetes/authBackendRole:AuthBackendRole "role" can be assumed through service account "default", which no Airflow component of its environment runs as (boundServiceAccountNames / boundServiceAccountNamespaces); Airflow\'s: "airflow-prod/airflow".',
      ],
      [
        "IRSA another namespace",
        "irsa",
        (i) => (i.assumeRolePolicy = trust("StringEquals", "system:serviceaccount:kube-system:airflow")),
        'aws:iam/role:Role "irsa" can be assumed through namespace "kube-system", which no Airflow component of its environment runs as (the trust policy\'s <issuer>:sub condition); Airflow\'s: "airflow-prod/airflow".',
      ],
    ],
  },
  "no-plaintext-secrets-in-env-or-tags": {
    baseline: [
      PROD,
      p("aws:lambda/function:Function", "fn", {
        environment: {
          variables: { MODE: "batch", DB_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:1:secret:x" },
        },
        tags: { owner: "data" },
      }),
    ],
    mutations: [
      [
        "URI with password",
        "fn",
        (i) => (i.environment.variables.MODE = "postgres://u:pw@db/x"),
        'aws:lambda/function:Function "fn" sets environment variable MODE (environment.variables.MODE) to a plaintext secret: a URI with a password.',
      ],
      [
        "literal token",
        "fn",
        (i) => (i.environment.variables.API_TOKEN = "t0k3n"),
        'aws:lambda/function:Function "fn" sets environment variable API_TOKEN (environment.variables.API_TOKEN) to a plaintext secret: a literal value under a secret\'s name.',
      ],
      [
        "key in a tag",
        "fn",
        (i) => (i.tags.owner = "AKIAABCDEFGHIJKLMNOP"),
        'aws:lambda/function:Function "fn" carries a secret in tags.owner: an AWS access key id.',
      ],
    ],
  },
  "no-prod-references-outside-prod": {
    baseline: [
      DEV,
      d("aws:secretsmanager/secret:Secret", "w", {
        name: "airflow/dev/connections/w",
        description: "dev",
        tags: { host: "db.dev.internal" },
      }),
    ],
    mutations: [
      [
        "prod path",
        "w",
        (i) => (i.name = "airflow/prod/connections/w"),
        '"w" property name references the "prod" environment from environment "dev".',
      ],
      [
        "prod host",
        "w",
        (i) => (i.tags.host = "db.prod.internal"),
        '"w" property tags.host references the "prod" environment from environment "dev".',
      ],
      [
        "prod description",
        "w",
        (i) => (i.description = "copy of prod"),
        '"w" property description references the "prod" environment from environment "dev".',
      ],
    ],
  },
  "audit-sink-in-prod": {
    baseline: [
      PROD,
      p("aws:secretsmanager/secret:Secret", "s", { name: "airflow/prod/connections/w" }),
      p("aws:cloudtrail/trail:Trail", "trail", { enableLogging: true }),
    ],
    mutations: [
      [
        "logging off",
        "trail",
        (i) => (i.enableLogging = false),
        "Airflow secrets are stored in AWS but no CloudTrail trail with logging on records GetSecretValue.",
      ],
      [
        "write events only",
        "trail",
        (i) => (i.eventSelectors = [{ readWriteType: "WriteOnly" }]),
        'aws:cloudtrail/trail:Trail "trail" record no read management events: GetSecretValue calls would go unlogged.',
      ],
      [
        "no management events",
        "trail",
        (i) => (i.eventSelectors = [{ includeManagementEvents: false }]),
        'aws:cloudtrail/trail:Trail "trail" record no read management events: GetSecretValue calls would go unlogged.',
      ],
    ],
  },
  "prod-keys-protected": {
    baseline: [
      PROD,
      p("aws:kms/key:Key", "k", {}, true),
      p("gcp:kms/keyRing:KeyRing", "ring", {}, true),
      p("azure-native:keyvault:Vault", "kv", {}, true),
    ],
    mutations: [
      [
        "KMS key",
        "k",
        (_i, f) => (f.protect = false),
        'KMS key "k" is not protected: a delete would destroy it.',
      ],
      [
        "key ring",
        "ring",
        (_i, f) => (f.protect = false),
        'KMS key ring "ring" is not protected: a delete would destroy it.',
      ],
      [
        "Key Vault",
        "kv",
        (_i, f) => (f.protect = false),
        'Key Vault "kv" is not protected: a delete would destroy it.',
      ],
    ],
  },
  "lookup-pattern-set": {
    baseline: [
      PROD,
      p("kubernetes:core/v1:ConfigMap", "cm", {
        data: {
          AIRFLOW__SECRETS__BACKEND:
            "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
          AIRFLOW__SECRETS__BACKEND_KWARGS: JSON.stringify({
            connections_lookup_pattern: "^(?:w)\\Z",
            variables_lookup_pattern: "^(?:v)\\Z",
            config_lookup_pattern: "^(?:c)\\Z",
          }),
        },
      }),
    ],
    mutations: [
      [
        "no connections pattern",
        "cm",
        (i) =>
          (i.data.AIRFLOW__SECRETS__BACKEND_KWARGS = JSON.stringify({
            variables_lookup_pattern: "^(?:v)\\Z",
            config_lookup_pattern: "^(?:c)\\Z",
          })),
        '"cm" AIRFLOW__SECRETS__BACKEND_KWARGS has no connections_lookup_pattern: every connections lookup goes to the backend.',
      ],
      [
        "unanchored variables pattern",
        "cm",
        (i) =>
          (i.data.AIRFLOW__SECRETS__BACKEND_KWARGS = JSON.stringify({
            connections_lookup_pattern: "^(?:w)\\Z",
            variables_lookup_pattern: "^v",
            config_lookup_pattern: "^(?:c)\\Z",
          })),
        '"cm" AIRFLOW__SECRETS__BACKEND_KWARGS variables_lookup_pattern is not anchored at the end (\\Z): Airflow\'s re.match also accepts longer ids.',
      ],
      [
        "kwargs not JSON",
        "cm",
        (i) => (i.data.AIRFLOW__SECRETS__BACKEND_KWARGS = "connections_lookup_pattern=^w"),
        '"cm" AIRFLOW__SECRETS__BACKEND_KWARGS is not a JSON object.',
      ],
    ],
  },
};

function mutate(
  baseline: Fixture[],
  name: string,
  change: (inputs: Record<string, any>, fixture: Fixture) => void,
): Fixture[] {
  const copy = structuredClone(baseline);
  const target = copy.find((f) => f.name === name);
  if (!target) throw new Error(`no fixture named ${name}`);
  change(target.inputs as Record<string, any>, target);
  return copy;
}

describe("every policy: a compliant baseline and single-field mutations", () => {
  it("covers every policy of the pack", () => {
    expect(Object.keys(CASES).sort()).toEqual(
      policies
        .map((p) => p.name)
        .filter((n) => n !== "secret-inputs-marked")
        .sort(),
    );
  });

  for (const policy of policies.filter((p) => CASES[p.name])) {
    const { baseline, mutations } = CASES[policy.name];
    describe(policy.name, () => {
      it("passes the baseline", async () => {
        expect((await runPolicy(policy, baseline, {}, { raw: true })).violations).toEqual([]);
      });
      it("has at least three mutations", () => expect(mutations.length).toBeGreaterThanOrEqual(3));
      it.each(mutations)("reports %s", async (_label, name, change, message) => {
        const analysis = await runPolicy(policy, mutate(baseline, name, change), {}, { raw: true });
        expect(analysis.violations.map((v) => v.message)).toEqual([message]);
      });
    });
  }
});

describe("secret-inputs-marked (remediation): a baseline and single-field mutations", () => {
  const policy = policies.find((p) => p.name === "secret-inputs-marked")!;
  const baseline = [
    PROD,
    p("aws:secretsmanager/secretVersion:SecretVersion", "v", {
      secretId: "s",
      secretString: secret(POSTGRES),
    }),
    p("kubernetes:core/v1:Secret", "k8s", { stringData: { AIRFLOW_CONN_W: secret("postgres://u:pw@h/db") } }),
    p("gcp:secretmanager/secretVersion:SecretVersion", "g", { secret: "s", secretData: secret("x") }),
  ];
  const mutations: Array<[string, string, (i: Record<string, any>) => void, string]> = [
    ["plain secretString", "v", (i) => (i.secretString = POSTGRES), "secretString: marked secret"],
    [
      "plain stringData entry",
      "k8s",
      (i) => (i.stringData.AIRFLOW_CONN_W = "postgres://u:pw@h/db"),
      "stringData: marked secret",
    ],
    ["plain secretData", "g", (i) => (i.secretData = "x"), "secretData: marked secret"],
  ];
  it("leaves the baseline alone", async () => {
    expect((await runPolicy(policy, baseline, {}, { raw: true })).remediations).toEqual([]);
  });
  it.each(mutations)("marks %s secret", async (_label, name, change, changed) => {
    const analysis = await runPolicy(policy, mutate(baseline, name, change), {}, { raw: true });
    expect(analysis.remediations.map((r) => r.changes)).toEqual([[changed]]);
  });
});
