import { Binding, bindings, isWildcard } from "./lib/identities";
import { AirflowStackPolicy } from "./lib/policy";
import { describe } from "./lib/references";

const WHERE: Record<Binding["cloud"], string> = {
  vault: "boundServiceAccountNames / boundServiceAccountNamespaces",
  aws: "the trust policy's <issuer>:sub condition",
  gcp: "the roles/iam.workloadIdentityUser member",
  azure: "the federated credential's subject",
};

/**
 * A cloud or Vault identity bound to Kubernetes service accounts by wildcard (`*` for the name or
 * the namespace, a trust policy without a `sub` condition, a GKE principalSet of a namespace, a
 * flexible federated credential) can be assumed by any pod that matches, not just Airflow's.
 */
export const workloadIdentityBoundExactly: AirflowStackPolicy = {
  name: "workload-identity-bound-exactly",
  description:
    "Identities bound to Kubernetes service accounts (Vault Kubernetes auth roles, IRSA roles, GKE Workload Identity, Azure federated credentials) name one namespace and one service account, never a wildcard.",
  enforcementLevel: "mandatory",
  remediationSteps:
    'Bind exactly Airflow\'s namespace and service account: Vault boundServiceAccountNames ["airflow"] and ' +
    'boundServiceAccountNamespaces ["airflow-prod"]; IAM trust StringEquals "<issuer>:sub": ' +
    '"system:serviceaccount:airflow-prod:airflow" (never StringLike with *, never without a sub condition); GCP member ' +
    '"serviceAccount:<project>.svc.id.goog[airflow-prod/airflow]"; Azure federated credential subject ' +
    '"system:serviceaccount:airflow-prod:airflow" without claimsMatchingExpression.',
  configSchema: { properties: {} },
  resourceTypes: [
    "vault:kubernetes/authBackendRole:AuthBackendRole",
    "aws:iam/role:Role",
    "gcp:serviceaccount/iAMMember:IAMMember",
    "gcp:serviceaccount/iAMBinding:IAMBinding",
    "azure-native:managedidentity:FederatedIdentityCredential",
  ],
  configExample: {},
  validateStack: (args, reportViolation) => {
    for (const binding of bindings(args.resources)) {
      if (binding.actor !== "kubernetes") continue;
      const wildNamespaces = binding.namespaces.filter(isWildcard);
      const wildAccounts = binding.serviceAccounts.filter(isWildcard);
      const empty = binding.namespaces.length === 0 || binding.serviceAccounts.length === 0;
      if (wildNamespaces.length === 0 && wildAccounts.length === 0 && !empty) continue;
      const what = [
        ...(binding.namespaces.length === 0 || wildNamespaces.length > 0
          ? [`namespace ${wildNamespaces.map((n) => `"${n}"`).join(", ") || "(none bound)"}`]
          : []),
        ...(binding.serviceAccounts.length === 0 || wildAccounts.length > 0
          ? [`service account ${wildAccounts.map((n) => `"${n}"`).join(", ") || "(none bound)"}`]
          : []),
      ].join(" and ");
      reportViolation(
        `${describe(binding.principal)} can be assumed by any Kubernetes pod matching ${what} (${WHERE[binding.cloud]}${binding.binding === binding.principal ? "" : ` of ${describe(binding.binding)}`}).`,
        binding.binding.urn,
      );
    }
  },
};
