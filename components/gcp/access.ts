import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "../airflow";
import { KubernetesIdentity, perServiceAccountName } from "../kubernetes/serviceAccountNames";
import { SERVICE_ACCOUNT_TOKEN_CREATOR } from "./offKubernetes";

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

/** `projects/{number}/secrets/{id}`: how Secret Manager names a secret in IAM conditions. */
const secretResourceName = (projectNumber: string, id: string) => `projects/${projectNumber}/secrets/${id}`;

/**
 * CEL for "a secret (or one of its versions) whose id starts with one of `prefixes`, other than the
 * `excluded` ids". Secret Manager checks access on `projects/N/secrets/ID/versions/V` and metadata on
 * `projects/N/secrets/ID`, so both forms are covered; ids only hold `[A-Za-z0-9_-]`, so a literal
 * needs no escaping beyond JSON's.
 */
export function secretPrefixCondition(
  projectNumber: string,
  prefixes: readonly string[],
  excluded: readonly string[] = [],
): string {
  const within = prefixes
    .map((p) => `resource.name.startsWith(${JSON.stringify(secretResourceName(projectNumber, p))})`)
    .join(" || ");
  const outside = excluded.map((id) => `!(${exactSecretCondition(projectNumber, id)})`);
  return [`(${within})`, ...outside].join(" && ");
}

/** CEL for exactly one secret and its versions. */
function exactSecretCondition(projectNumber: string, id: string): string {
  const secret = secretResourceName(projectNumber, id);
  return `resource.name == ${JSON.stringify(secret)} || resource.name.startsWith(${JSON.stringify(`${secret}/`)})`;
}

export interface SecretManagerAccessArgs {
  project: string;
  /** Project number: Secret Manager's resource names in IAM conditions use it, not the project id. */
  projectNumber: pulumi.Input<string>;
  environment: string;
  /**
   * Storage-name prefixes of this environment's secrets, each ending with the separator
   * (`airflow-prod-connections-`): the grants cover exactly the names under them.
   */
  namePrefixes: string[];
  /**
   * Every stored secret: the reader may access those it reads (`readByAirflow`, minus the rotation
   * masters), the CI writer adds versions to all of them.
   */
  secrets: AccessTarget[];
  /**
   * Airflow's namespace and Kubernetes service accounts (one per component, or one shared), each
   * bound through GKE Workload Identity: one `workloadIdentityUser` member per name, no other.
   */
  kubernetes: KubernetesIdentity;
  /**
   * Off Kubernetes: the service accounts Airflow runs as (Cloud Composer's), each allowed to
   * impersonate the reader (Token Creator on it) instead of any Workload Identity binding.
   */
  impersonators?: string[];
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
 * account through Workload Identity, may access this environment's secrets and nothing else; the CI
 * writer may add versions to the same secrets but never read one (separation of duties).
 *
 * One conditional project binding per identity and role, not one grant per secret: the condition
 * names the environment's prefixes (`resource.name.startsWith("projects/N/secrets/airflow-prod-connections-")`),
 * so the resources do not grow with the number of connections. Like the AWS backend's ARN prefixes,
 * it also covers a secret someone later creates under the environment's prefix; rotation masters,
 * which Airflow must not read, are excluded by exact name. The project's IAM policy gains two or
 * three bindings per environment (its budget is 1,500 members), and the deployer needs
 * `resourcemanager.projects.setIamPolicy` on the project.
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
      args.namePrefixes.length > 0 && args.namePrefixes.every((p) => /^[A-Za-z0-9_-]+$/.test(p)),
      "namePrefixes",
      "must list the environment's secret-id prefixes (letters, digits, _ or -): the grants are scoped to them",
    );
    // Off Kubernetes the impersonators replace the Workload Identity binding.
    problems.check(
      args.impersonators !== undefined
        ? args.impersonators.length > 0
        : args.kubernetes.serviceAccounts.length > 0,
      args.impersonators !== undefined ? "impersonators" : "kubernetes.serviceAccounts",
      args.impersonators !== undefined
        ? "must name at least one service account Airflow runs as"
        : "must name at least one Kubernetes service account",
    );
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
    for (const email of new Set(args.impersonators ?? []))
      new gcp.serviceaccount.IAMMember(
        `${name}-airflow-impersonated-by-${email}`,
        {
          serviceAccountId: this.airflowServiceAccount.name,
          role: SERVICE_ACCOUNT_TOKEN_CREATOR,
          member: `serviceAccount:${email}`,
        },
        { parent: this },
      );
    for (const kubernetesAccount of args.impersonators !== undefined
      ? []
      : new Set(args.kubernetes.serviceAccounts))
      new gcp.serviceaccount.IAMMember(
        // The shared account's member keeps its URN: a second resource granting the same member
        // would revoke it when the first is deleted.
        perServiceAccountName(`${name}-airflow-workload-identity`, args.kubernetes, kubernetesAccount),
        {
          serviceAccountId: this.airflowServiceAccount.name,
          role: WORKLOAD_IDENTITY_USER,
          member: `serviceAccount:${args.workloadIdentityPool}[${args.kubernetes.namespace}/${kubernetesAccount}]`,
        },
        { parent: this },
      );
    const notRead = args.secrets.filter((t) => t.readByAirflow === false).map((t) => t.name);
    new gcp.projects.IAMMember(
      `${name}-airflow-reads-environment`,
      {
        project: args.project,
        role: SECRET_ACCESSOR,
        member: this.airflowServiceAccount.member,
        condition: {
          title: `airflow-${args.environment}-secrets`,
          description: `Airflow reads the ${args.environment} connections, variables and config`,
          expression: pulumi
            .output(args.projectNumber)
            .apply((n) => secretPrefixCondition(n, args.namePrefixes, notRead)),
        },
      },
      { parent: this },
    );

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
      for (const role of roles) {
        new gcp.projects.IAMMember(
          `${name}-ci-writer-${role.split(".").pop()}-environment`,
          {
            project: args.project,
            role,
            member: writer.member,
            condition: {
              title: `airflow-${args.environment}-secrets`,
              description: `CI writes the ${args.environment} connections, variables and config`,
              expression: pulumi
                .output(args.projectNumber)
                .apply((n) => secretPrefixCondition(n, args.namePrefixes)),
            },
          },
          { parent: this },
        );
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
