import { AirflowResourcePolicy, readConfig } from "./lib/policy";

const configSchema = {
  properties: {
    allowedResourceNames: {
      type: "array" as const,
      items: { type: "string" as const },
      default: [],
      description:
        "Pulumi resource names exempted (a break-glass user reviewed elsewhere). Each exemption should be justified in the PR.",
    },
  },
};

const LONG_LIVED: Record<string, string> = {
  "aws:iam/accessKey:AccessKey": "an IAM access key",
  "aws:iam/user:User": "an IAM user",
  "aws:iam/userLoginProfile:UserLoginProfile": "an IAM user console password",
  "aws:iam/serviceSpecificCredential:ServiceSpecificCredential": "an IAM service-specific password",
  "aws:iam/signingCertificate:SigningCertificate": "an IAM user signing certificate",
  "aws:iam/sshKey:SshKey": "an IAM user SSH key",
  "vault:index/token:Token": "a Vault token kept in Pulumi state",
  "gcp:serviceaccount/key:Key": "a service account key",
  "azuread:index/applicationPassword:ApplicationPassword": "an Entra ID application client secret",
  "azuread:index/servicePrincipalPassword:ServicePrincipalPassword":
    "an Entra ID service principal client secret",
};

/**
 * "Cloud IAM access keys: NEVER use long-lived; use IRSA/WI/MI." Airflow authenticates with its
 * Kubernetes service account (IRSA, GKE Workload Identity, AKS Workload Identity, Vault Kubernetes
 * auth), so a stack that creates static cloud credentials is leaking a path around that.
 */
export const noLongLivedCloudCredentials: AirflowResourcePolicy = {
  name: "no-long-lived-cloud-credentials",
  description:
    "No IAM users, access keys, service account keys or client secrets: Airflow uses IRSA, Workload Identity or Managed Identity.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Delete the key/user and bind Airflow's Kubernetes service account to a cloud identity instead: an IAM role with an OIDC trust " +
    "(eks.amazonaws.com/role-arn), a GCP service account with roles/iam.workloadIdentityUser (iam.gke.io/gcp-service-account), or a " +
    "user-assigned managed identity with a federated credential (azure.workload.identity/client-id). The cloud backends create these.",
  configSchema,
  resourceTypes: Object.keys(LONG_LIVED),
  configExample: { allowedResourceNames: ["break-glass-user"] },
  validateResource: (args, reportViolation) => {
    const what = LONG_LIVED[args.type];
    if (!what) return;
    const { allowedResourceNames } = readConfig<{ allowedResourceNames: string[] }>(args, configSchema);
    if (allowedResourceNames.includes(args.name)) return;
    reportViolation(`"${args.name}" creates ${what}, a long-lived credential.`);
  },
};
