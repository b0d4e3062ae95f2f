/**
 * Airflow off Kubernetes with the GCP backend (`kubernetes: false`: Cloud Composer, a VM): no
 * Kubernetes service account to bind through Workload Identity, so the service accounts Airflow runs
 * as (`gcp.offKubernetes.airflowServiceAccounts`, e.g. Composer's environment service account) may
 * impersonate the environment's reader service account — Service Account Token Creator on that one
 * account, nothing else — and Airflow's backend asks for the reader's tokens through
 * `impersonation_chain` (apache/airflow main,
 * providers/google/src/airflow/providers/google/cloud/secrets/secret_manager.py, `CloudSecretManagerBackend`:
 * the target principal of `get_credentials_and_project_id`). The reader's conditional
 * `secretAccessor` grant is unchanged, so the platform's account reads this environment's secrets
 * only as the reader, and audit logs name the reader with the delegation. Pure: no SDK.
 */
import type { Problems } from "../airflow";
import type { KubernetesSettings } from "../backend";

/** What lets one service account mint access tokens for another (and only that one: a grant on it). */
export const SERVICE_ACCOUNT_TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator";

/** A service account email: user-managed (`…@P.iam.gserviceaccount.com`) or Google-managed (the default compute one). */
export const SERVICE_ACCOUNT_EMAIL =
  /^[a-z0-9][-a-z0-9]{0,61}[a-z0-9]@[a-z0-9][-a-z0-9.]*\.gserviceaccount\.com$/;

export interface GcpTargetSettings {
  project?: string;
  airflowAccountId?: string;
  workloadIdentityPool?: string;
  offKubernetes?: { airflowServiceAccounts: string[] } | null;
}

/** The email of the reader service account this library creates (`{accountId}@{project}.iam…`). */
export function readerServiceAccountEmail(
  environment: string,
  settings: GcpTargetSettings,
): string | undefined {
  if (settings.project === undefined) return undefined;
  return `${settings.airflowAccountId ?? `airflow-${environment}`}@${settings.project}.iam.gserviceaccount.com`;
}

/** Which identity fields go with the target; paths name the field, values are never quoted. */
export function checkGcpTarget(
  settings: GcpTargetSettings,
  kubernetes: KubernetesSettings | false,
  problems: Problems,
): void {
  const off = settings.offKubernetes ?? undefined;
  if (kubernetes !== false) {
    problems.check(
      off === undefined,
      "gcp.offKubernetes",
      "applies only with kubernetes: false; on Kubernetes the reader is bound to Airflow's service accounts through Workload Identity",
    );
    return;
  }
  problems.check(
    settings.workloadIdentityPool === undefined,
    "gcp.workloadIdentityPool",
    "is Workload Identity's and kubernetes is false: remove it; gcp.offKubernetes.airflowServiceAccounts names who acts as the reader",
  );
  if (
    !problems.check(
      off !== undefined,
      "gcp.offKubernetes",
      "is required with kubernetes: false: name the service accounts Airflow runs as (airflowServiceAccounts, e.g. Cloud Composer's environment service account)",
    )
  )
    return;
  const accounts = off!.airflowServiceAccounts;
  if (
    !problems.check(
      Array.isArray(accounts) && accounts.length > 0,
      "gcp.offKubernetes.airflowServiceAccounts",
      "must name at least one service account Airflow runs as",
    )
  )
    return;
  accounts.forEach((email, i) =>
    problems.check(
      typeof email === "string" && SERVICE_ACCOUNT_EMAIL.test(email),
      `gcp.offKubernetes.airflowServiceAccounts[${i}]`,
      "must be a service account email (name@project.iam.gserviceaccount.com)",
    ),
  );
  problems.check(
    new Set(accounts).size === accounts.length,
    "gcp.offKubernetes.airflowServiceAccounts",
    "must not list a service account twice",
  );
}

/** Off Kubernetes, the `backend_kwargs` that make Airflow's backend act as the reader. */
export function offKubernetesKwargs(
  environment: string,
  settings: GcpTargetSettings,
): Record<string, unknown> {
  const email = readerServiceAccountEmail(environment, settings);
  return email === undefined ? {} : { impersonation_chain: email };
}
