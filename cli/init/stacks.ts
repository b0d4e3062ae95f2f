/**
 * The stack files `airflow-secrets init` writes, per backend: a dev stack and a prod stack with
 * every setting the backend needs, example values marked as such, and the provider configuration a
 * real `pulumi up` reads. `kubernetes:context` is always explicit so that `pulumi up` from a laptop
 * never writes into whichever cluster happens to be current.
 */
import * as path from "path";

export const BACKENDS = ["env", "vault", "aws", "gcp", "azure"] as const;
export type Backend = (typeof BACKENDS)[number];

export type Environment = "dev" | "prod";
export const ENVIRONMENTS: readonly Environment[] = ["dev", "prod"];

const SECRET = "secure: v1:EXAMPLE:replace-with-pulumi-config-set-secret";

/** Provider configuration a real `pulumi up` of a stack needs, per backend (also listed in the README stub). */
export interface ProviderSetting {
  /** A stack config key, or an environment variable (`env:NAME`). */
  key: string;
  value: (environment: Environment) => string;
  why: string;
}

export const KUBERNETES_CONTEXT: ProviderSetting = {
  key: "kubernetes:context",
  value: (environment) => `airflow-${environment}`,
  why: "the kubeconfig context of the cluster Airflow runs on; set explicitly so a local `pulumi up` never writes into whichever cluster is current",
};

export const PROVIDER_SETTINGS: Record<Backend, ProviderSetting[]> = {
  env: [KUBERNETES_CONTEXT],
  vault: [
    KUBERNETES_CONTEXT,
    {
      key: "vault:address",
      value: () => "https://vault.example.internal:8200",
      why: "the Vault the provider talks to (or VAULT_ADDR); the token comes from VAULT_TOKEN (CI: the JWT login step), never from the stack file",
    },
  ],
  aws: [
    KUBERNETES_CONTEXT,
    {
      key: "aws:region",
      value: () => "eu-west-1",
      why: "the region of the secrets and keys (or AWS_REGION); credentials come from the environment (CI: OIDC role)",
    },
  ],
  gcp: [
    KUBERNETES_CONTEXT,
    {
      key: "gcp:project",
      value: (environment) => `acme-data-${environment}`,
      why: "the project holding the secrets; credentials come from Application Default Credentials (CI: workload identity federation)",
    },
  ],
  azure: [
    KUBERNETES_CONTEXT,
    {
      key: "azure-native:subscriptionId",
      value: () => "00000000-0000-0000-0000-000000000000",
      why: "the subscription of the Key Vault (or ARM_SUBSCRIPTION_ID); credentials come from the az CLI login (CI: federated credential)",
    },
    {
      key: "azure-native:location",
      value: () => "westeurope",
      why: "the default region of the provider (the vault's own location is set below)",
    },
  ],
};

/** Where `airflow-secrets init` writes the stack files, relative to the project root. */
export const STACKS_DIR = "stacks";
/** The editor JSON Schema inside the installed package, relative to the project root. */
export const INSTALLED_SCHEMA = "node_modules/airflow-secrets/schema/stack.schema.json";

/**
 * The first line of every stack file init writes: editors running yaml-language-server (VS Code's YAML
 * extension, Neovim, JetBrains) then complete, describe and check the keys with the package's own
 * schema, at the version installed.
 */
export const SCHEMA_MODELINE = `# yaml-language-server: $schema=${path.posix.relative(STACKS_DIR, INSTALLED_SCHEMA)}`;

function header(backend: Backend, environment: Environment, project: string): string {
  return [
    SCHEMA_MODELINE,
    `# ${environment === "prod" ? "Production" : "Development"} stack of ${project} (${backend} backend), read by the program`,
    "# shipped in node_modules/airflow-secrets. Every key is described in the airflow-secrets README",
    '# ("Stack config"). Secret values are `secure:` entries, set with',
    `#   pulumi config set -s ${environment} --secret --path 'airflow-secrets:connections[0].password' …`,
    "# The `v1:EXAMPLE:` values below are placeholders: `synth` and `check` run with them offline, `pulumi up`",
    "# needs real ones. Values such as account ids, hosts and regions are examples: replace them.",
    "config:",
  ].join("\n");
}

function providerConfig(backend: Backend, environment: Environment): string {
  return [
    "  # Provider configuration a real `pulumi up` reads (offline synth and check ignore it).",
    ...PROVIDER_SETTINGS[backend].map((s) => `  ${s.key}: ${s.value(environment)}`),
  ].join("\n");
}

function common(backend: Backend, environment: Environment): string {
  return `  airflow-secrets:environment: ${environment}
  airflow-secrets:owner: data-platform
  airflow-secrets:backend: ${backend}
  airflow-secrets:airflow:
    version: "2.10"
  airflow-secrets:kubernetes:
    namespace: airflow-${environment}
    serviceAccount: airflow`;
}

function connections(environment: Environment, rotated: boolean): string {
  const sslmode = environment === "prod" ? "verify-full" : "require";
  const rotation = rotated
    ? `
      rotation:
        strategy: alternating-users
        everyDays: 30
        masterConnId: warehouse_admin
    - conn_id: warehouse_admin
      conn_type: postgres
      description: Warehouse master login (creates the clone login and rotates itself)
      host: warehouse.${environment}.internal
      port: 5432
      schema: analytics
      login: airflow_admin
      password:
        ${SECRET}
      extra:
        sslmode: ${sslmode}
      rotation:
        strategy: single-user
        everyDays: 60`
    : "";
  return `  airflow-secrets:connections:
    - conn_id: warehouse
      conn_type: postgres
      description: Analytics warehouse
      host: warehouse.${environment}.internal
      port: 5432
      schema: analytics
      login: airflow_${environment}
      password:
        ${SECRET}
      extra:
        sslmode: ${sslmode}${rotation}
    - conn_id: slack_alerts
      conn_type: http
      host: hooks.slack.com
      extra:
        webhook_token:
          ${SECRET}
  airflow-secrets:variables:
    - key: alert_email
      value: data-alerts-${environment}@example.com
  airflow-secrets:fernet:
    generations: ["2026-q4"]`;
}

function backendSettings(backend: Backend, environment: Environment, repository: string): string {
  const prod = environment === "prod";
  switch (backend) {
    case "env":
      return "";
    case "vault":
      return `
  airflow-secrets:vault:
    address: https://vault.example.internal:8200
    kv:
      mount: airflow-${environment}
      maxVersions: 5
    kubernetesAuth:
      mount: kubernetes-${environment}
      # Airflow's pods mount a projected service account token with this audience and log in with it.
      audience: vault
      jwtPath: /var/run/secrets/vault/token
${
  prod
    ? `
    # Vault rotates the warehouse login itself (database static role): the policy pack asks
    # production database passwords to rotate within 90 days.
    database:
      mount: database-${environment}
      connectionName: warehouse
      host: warehouse.${environment}.internal
      port: 5432
      database: analytics
      sslmode: verify-full
      username: vault_admin
      password:
        ${SECRET}
      # Short-lived dynamic credentials for ad-hoc access (the policy pack's limit is 1 h).
      roles:
        - name: readonly
          access: read-only
          defaultTtlSeconds: 3600
          maxTtlSeconds: 3600
      staticRoles:
        - name: airflow
          username: airflow_${environment}
          rotationPeriodSeconds: 2592000
    audit:
      enabled: true
      type: file
      filePath: /vault/audit/airflow-${environment}.log`
    : ""
}`;
    case "aws":
      return `
  airflow-secrets:aws:
    region: eu-west-1
    # The EKS cluster's IAM OIDC provider and issuer (aws eks describe-cluster --query cluster.identity.oidc.issuer, without https://).
    oidcProviderArn: arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/5C1A7F3E9B2D4A6C8E0F1B3D5A7C9E1F
    oidcIssuer: oidc.eks.eu-west-1.amazonaws.com/id/5C1A7F3E9B2D4A6C8E0F1B3D5A7C9E1F
    # The role CI assumes for \`pulumi up\` of this stack: the only principal besides Airflow and the rotation function that may read values.
    deployerRoleArns:
      - arn:aws:iam::123456789012:role/${repository.split("/")[1]}-deploy-${environment}${
        prod
          ? `
    recoveryWindowDays: 30
    audit:
      alarmEmail: data-platform-oncall@example.com
    ciWriter:
      githubRepository: ${repository}
      githubSubjects: ["environment:prod"]
    rotation:
      subnetIds: [subnet-0a1b2c3d4e5f60718, subnet-0b1c2d3e4f5a60719]
      securityGroupIds: [sg-0c1d2e3f4a5b60720]
      createSecretsManagerEndpointInVpc: vpc-0d1e2f3a4b5c60721`
          : ""
      }`;
    case "gcp":
      return `
  airflow-secrets:gcp:
    project: acme-data-${environment}
    projectNumber: "${prod ? "412345678901" : "412345678900"}"
    locations: [europe-west1${prod ? ", europe-west4" : ""}]${
      prod
        ? `
    kms:
      rotationPeriod: 7776000s
    ciWriter:
      # The repository's GitHub Actions may add versions, never read them.
      workloadIdentityPrincipals:
        - principalSet://iam.googleapis.com/projects/412345678901/locations/global/workloadIdentityPools/github/attribute.repository/${repository}
    audit:
      sink:
        type: bigquery
        retentionDays: 400
      notificationChannels:
        - projects/acme-data-prod/notificationChannels/7340912846153326011
    rotation:
      # The rotator reaches a private database through this connector.
      vpcConnector: projects/acme-data-prod/locations/europe-west1/connectors/airflow-db`
        : ""
    }`;
    case "azure":
      return `
  airflow-secrets:azure:
    location: westeurope
    resourceGroupName: rg-airflow-${environment}
    tenantId: 7d1c2f0e-4b5a-4c3d-9e8f-0a1b2c3d4e5f
    # The cluster's issuer: az aks show -g <group> -n <cluster> --query oidcIssuerProfile.issuerUrl -o tsv
    aksOidcIssuerUrl: https://westeurope.oic.example-aks.azure.com/7d1c2f0e-4b5a-4c3d-9e8f-0a1b2c3d4e5f/${environment === "prod" ? "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e" : "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}/${
      prod
        ? `
    vault:
      sku: premium
      # Public endpoint restricted to the office range and the AKS and rotator subnets; default Deny.
      allowedIpRanges: [198.51.100.0/28]
      subnetIds:
        - /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-network-prod/providers/Microsoft.Network/virtualNetworks/vnet-data-prod/subnets/snet-aks-nodes
        - /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-network-prod/providers/Microsoft.Network/virtualNetworks/vnet-data-prod/subnets/snet-airflow-rotator
    secretExpiryDays: 365
    # The pipeline's service principal: writes secrets, can never read them.
    ciWriterPrincipalId: 4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b
    diagnostics:
      retentionDays: 365
      actionGroupId: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-monitoring/providers/microsoft.insights/actionGroups/ag-data-platform-oncall
    rotation:
      # Elastic Premium with VNet integration: reaches the private database and the firewalled vault.
      plan: premium
      subnetId: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-network-prod/providers/Microsoft.Network/virtualNetworks/vnet-data-prod/subnets/snet-airflow-rotator`
        : ""
    }`;
  }
}

/** The text of `stacks/Pulumi.<environment>.yaml` for a backend. */
export function stackFile(
  backend: Backend,
  environment: Environment,
  project: string,
  repository: string,
): string {
  // Production rotates the warehouse password where the backend has a rotator (the policy pack asks for it).
  const rotated = environment === "prod" && backend !== "env" && backend !== "vault";
  return [
    header(backend, environment, project),
    providerConfig(backend, environment),
    common(backend, environment) + backendSettings(backend, environment, repository),
    connections(environment, rotated),
    "",
  ].join("\n");
}
