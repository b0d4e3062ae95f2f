import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "../airflow";

export const SECRET_ACCESSOR = "roles/secretmanager.secretAccessor";
export const SECRET_VERSION_ADDER = "roles/secretmanager.secretVersionAdder";
export const SECRET_VERSION_MANAGER = "roles/secretmanager.secretVersionManager";
export const WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser";
/** The annotation GKE Workload Identity reads on a Kubernetes service account. */
export const GKE_SERVICE_ACCOUNT_ANNOTATION = "iam.gke.io/gcp-service-account";

/** A secret the identities get access to. */
export interface AccessTarget {
  /** Storage name (the secret id). */
  name: string;
  /** The secret's id output (`projects/P/secrets/ID`), so grants wait for the secret. */
  secretId: pulumi.Input<string>;
  /** False for a rotation master: only the rotator reads it, Airflow gets no grant. Default true. */
  readByAirflow?: boolean;
}

export interface SecretManagerAccessArgs {
  project: string;
  environment: string;
  /**
   * Every stored secret: the reader gets `secretAccessor` on each it reads (nothing project-wide),
   * the CI writer adds versions to all of them.
   */
  secrets: AccessTarget[];
  /** Airflow's Kubernetes service account, bound through GKE Workload Identity. */
  kubernetes: { namespace: string; serviceAccount: string };
  /** Workload Identity pool, `{project}.svc.id.goog` for GKE. */
  workloadIdentityPool: string;
  /** Service account id of Airflow's Google service account. */
  airflowAccountId: string;
  /** The CI writer: adds versions, never reads one. Omit for no writer. */
  ciWriter?: {
    accountId: string;
    /** Also disable/enable/destroy versions (`secretVersionManager`, still no payload access). */
    manageVersions?: boolean;
    /** Workload Identity Federation principals allowed to act as the writer. */
    workloadIdentityPrincipals?: string[];
  };
}

/**
 * Who may do what with the secrets: Airflow's Google service account, bound to its Kubernetes service
 * account through Workload Identity, may access each declared secret and nothing else; the CI writer may
 * add versions to the same secrets but never read one (separation of duties).
 *
 * Per-secret grants rather than one conditional project binding: they name exactly the declared ids
 * (a prefix condition would also cover any secret someone later creates under the prefix), need no
 * project number at plan time, and leave a project's IAM policy (which has a 1,500-member budget and is
 * shared with every team) untouched.
 */
export class SecretManagerAccess extends pulumi.ComponentResource {
  readonly airflowServiceAccount: gcp.serviceaccount.Account;
  readonly ciWriterServiceAccount?: gcp.serviceaccount.Account;
  /** `iam.gke.io/gcp-service-account` for Airflow's Kubernetes service account. */
  readonly serviceAccountAnnotations: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: SecretManagerAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = new Problems();
    problems.check(
      /^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/.test(args.airflowAccountId),
      "airflowAccountId",
      `must be 6-30 lowercase letters, digits or - (got "${args.airflowAccountId}")`,
    );
    if (args.ciWriter) {
      problems.check(
        /^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/.test(args.ciWriter.accountId),
        "ciWriter.accountId",
        `must be 6-30 lowercase letters, digits or - (got "${args.ciWriter.accountId}")`,
      );
      problems.check(
        args.ciWriter.accountId !== args.airflowAccountId,
        "ciWriter.accountId",
        "must differ from the reader's: one identity must not both read and write",
      );
    }
    problems.check(
      /\.svc\.id\.goog$/.test(args.workloadIdentityPool),
      "workloadIdentityPool",
      `must be a GKE pool like "project.svc.id.goog" (got "${args.workloadIdentityPool}")`,
    );
    problems.throwIfAny("SecretManagerAccess");
    super("airflow-secrets:gcp:SecretManagerAccess", name, {}, opts);

    this.airflowServiceAccount = new gcp.serviceaccount.Account(
      `${name}-airflow`,
      {
        project: args.project,
        accountId: args.airflowAccountId,
        displayName: `Airflow ${args.environment} secrets reader`,
        description: `Reads the Airflow ${args.environment} connections, variables and config in Secret Manager (GKE Workload Identity)`,
      },
      { parent: this },
    );
    new gcp.serviceaccount.IAMMember(
      `${name}-airflow-workload-identity`,
      {
        serviceAccountId: this.airflowServiceAccount.name,
        role: WORKLOAD_IDENTITY_USER,
        member: `serviceAccount:${args.workloadIdentityPool}[${args.kubernetes.namespace}/${args.kubernetes.serviceAccount}]`,
      },
      { parent: this },
    );
    for (const target of args.secrets.filter((t) => t.readByAirflow !== false)) {
      new gcp.secretmanager.SecretIamMember(
        `${name}-airflow-${target.name}`,
        {
          project: args.project,
          secretId: target.secretId,
          role: SECRET_ACCESSOR,
          member: this.airflowServiceAccount.member,
        },
        { parent: this },
      );
    }

    if (args.ciWriter) {
      const writer = new gcp.serviceaccount.Account(
        `${name}-ci-writer`,
        {
          project: args.project,
          accountId: args.ciWriter.accountId,
          displayName: `Airflow ${args.environment} secrets writer (CI)`,
          description: `Adds versions to the Airflow ${args.environment} secrets; cannot read them`,
        },
        { parent: this },
      );
      this.ciWriterServiceAccount = writer;
      const roles = args.ciWriter.manageVersions
        ? [SECRET_VERSION_ADDER, SECRET_VERSION_MANAGER]
        : [SECRET_VERSION_ADDER];
      for (const target of args.secrets) {
        for (const role of roles) {
          new gcp.secretmanager.SecretIamMember(
            `${name}-ci-writer-${role.split(".").pop()}-${target.name}`,
            { project: args.project, secretId: target.secretId, role, member: writer.member },
            { parent: this },
          );
        }
      }
      (args.ciWriter.workloadIdentityPrincipals ?? []).forEach((principal, i) => {
        new gcp.serviceaccount.IAMMember(
          `${name}-ci-writer-federation-${i}`,
          { serviceAccountId: writer.name, role: WORKLOAD_IDENTITY_USER, member: principal },
          { parent: this },
        );
      });
    }

    this.serviceAccountAnnotations = { [GKE_SERVICE_ACCOUNT_ANNOTATION]: this.airflowServiceAccount.email };
    this.registerOutputs({
      airflowServiceAccountEmail: this.airflowServiceAccount.email,
      ciWriterServiceAccountEmail: this.ciWriterServiceAccount?.email,
    });
  }
}
