import { StackEnvironments } from "./lib/environment";
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
 * flexible federated credential) can be assumed by any pod that matches, not just Airflow's. Inside
 * an AirflowSecretsEnvironment, whose inputs list the service account of every Airflow component
 * (`kubernetesServiceAccounts`), a binding naming any other account or namespace is reported too.
 */
export const workloadIdentityBoundExactly: AirflowStackPolicy = {
  name: "workload-identity-bound-exactly",
  description:
    "Identities bound to Kubernetes service accounts (Vault Kubernetes auth roles, IRSA roles, GKE Workload Identity, Azure federated credentials) name exact namespaces and service accounts, never a wildcard; inside an Airflow environment, only its namespace and the service accounts its components run as.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Bind exactly Airflow's namespace and the service accounts its components run as (one shared, or one per " +
    "component: kubernetes.serviceAccount / serviceAccounts / chartRelease), nothing else: " +
    'Vault boundServiceAccountNames ["airflow"] (or ["airflow-scheduler", "airflow-worker", …]) and ' +
    'boundServiceAccountNamespaces ["airflow-prod"]; IAM trust StringEquals "<issuer>:sub": ' +
    '"system:serviceaccount:airflow-prod:airflow" or a list of such subjects (never StringLike with *, never without a ' +
    'sub condition); GCP one member "serviceAccount:<project>.svc.id.goog[airflow-prod/airflow]" per account; Azure one ' +
    'federated credential per account, subject "system:serviceaccount:airflow-prod:airflow", without claimsMatchingExpression.',
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
    // Only the components' own inputs are read here, never the pack's production settings.
    const environments = new StackEnvironments(args.resources, {
      productionStacks: [],
      stackEnvironments: {},
    });
    for (const binding of bindings(args.resources)) {
      if (binding.actor !== "kubernetes") continue;
      reportStrangers(binding, environments, reportViolation);
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

/**
 * A binding inside an environment component that names a namespace or service account (exactly, no
 * wildcard: those are reported above) that none of the environment's Airflow components runs as.
 */
function reportStrangers(
  binding: Binding,
  environments: StackEnvironments,
  reportViolation: (message: string, urn?: string) => void,
): void {
  const context = environments.of(binding.principal);
  if (context.source !== "component" || context.serviceAccounts.length === 0) return;
  const namespaces = new Set(context.serviceAccounts.map((sa) => sa.namespace));
  const names = new Set(context.serviceAccounts.map((sa) => sa.name));
  const strangers = [
    ...binding.namespaces.filter((n) => !isWildcard(n) && !namespaces.has(n)).map((n) => `namespace "${n}"`),
    ...binding.serviceAccounts
      .filter((n) => !isWildcard(n) && !names.has(n))
      .map((n) => `service account "${n}"`),
  ];
  if (strangers.length === 0) return;
  reportViolation(
    `${describe(binding.principal)} can be assumed through ${strangers.join(" and ")}, which no Airflow component of its environment runs as (${WHERE[binding.cloud]}${binding.binding === binding.principal ? "" : ` of ${describe(binding.binding)}`}); Airflow's: ${context.serviceAccounts.map((sa) => `"${sa.namespace}/${sa.name}"`).join(", ")}.`,
    binding.binding.urn,
  );
}
