/**
 * The principals Airflow and CI act as, found by what they are bound to rather than by name:
 *
 * - Vault: a Kubernetes auth role (bound service account names/namespaces) or a JWT auth role (CI);
 * - AWS: an IAM role whose trust policy lets an OIDC identity assume it with web identity: the
 *   `<issuer>:sub` condition `system:serviceaccount:<ns>:<sa>` (IRSA), or GitHub's issuer (CI);
 * - GCP: a service account with a `roles/iam.workloadIdentityUser` member from a GKE pool
 *   (`serviceAccount:<pool>.svc.id.goog[<ns>/<sa>]`, or the principal/principalSet forms), or from a
 *   workload identity federation pool (CI);
 * - Azure: a user-assigned identity with a federated credential whose subject is
 *   `system:serviceaccount:<ns>:<sa>`, or whose issuer is GitHub's (CI).
 */
import type { PolicyResource } from "@pulumi/policy";
import type { ServiceAccountRef } from "./environment";
import { jsonDocument, asArray, isRecord, knownOrUndefined } from "./values";
import { identities, references } from "./references";

export type Cloud = "vault" | "aws" | "gcp" | "azure";
export type Actor = "kubernetes" | "ci";

export interface Binding {
  cloud: Cloud;
  actor: Actor;
  /** The identity that receives grants (Vault auth role, IAM role, service account, managed identity). */
  principal: PolicyResource;
  /** The resource that says who may act as it (often the principal itself). */
  binding: PolicyResource;
  /** For Kubernetes bindings: namespaces and service accounts as bound; `*` matches any. */
  namespaces: string[];
  serviceAccounts: string[];
}

const GITHUB_ISSUER = /token\.actions\.githubusercontent\.com/;
const SERVICE_ACCOUNT_SUBJECT = /^system:serviceaccount:([^:]*):(.*)$/;

const strings = (value: unknown): string[] =>
  asArray(value as unknown[]).filter((v): v is string => typeof v === "string");

const prop = (r: PolicyResource, key: string): unknown => knownOrUndefined(() => r.props[key]);

/** Whether a bound name admits `name` (`*` and glob patterns as Vault and IAM StringLike read them). */
export function admits(bound: string, name: string): boolean {
  const body = bound
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`).test(name);
}

export function isWildcard(bound: string): boolean {
  return /[*?]/.test(bound);
}

/** Whether the binding admits one of Airflow's service accounts (any Kubernetes binding when none is known). */
export function bindsAirflow(binding: Binding, airflow: readonly ServiceAccountRef[]): boolean {
  if (binding.actor !== "kubernetes") return false;
  if (airflow.length === 0) return true;
  return airflow.some(
    (sa) =>
      binding.namespaces.some((ns) => admits(ns, sa.namespace)) &&
      binding.serviceAccounts.some((name) => admits(name, sa.name)),
  );
}

function vaultBindings(resources: readonly PolicyResource[]): Binding[] {
  const found: Binding[] = [];
  for (const r of resources) {
    if (r.type === "vault:kubernetes/authBackendRole:AuthBackendRole") {
      found.push({
        cloud: "vault",
        actor: "kubernetes",
        principal: r,
        binding: r,
        namespaces: strings(prop(r, "boundServiceAccountNamespaces")),
        serviceAccounts: strings(prop(r, "boundServiceAccountNames")),
      });
    } else if (r.type === "vault:jwt/authBackendRole:AuthBackendRole") {
      found.push({
        cloud: "vault",
        actor: "ci",
        principal: r,
        binding: r,
        namespaces: [],
        serviceAccounts: [],
      });
    }
  }
  return found;
}

function awsBindings(resources: readonly PolicyResource[]): Binding[] {
  const found: Binding[] = [];
  for (const role of resources.filter((r) => r.type === "aws:iam/role:Role")) {
    const trust = jsonDocument(prop(role, "assumeRolePolicy"));
    const statements = isRecord(trust) ? asArray(trust.Statement as unknown[]).filter(isRecord) : [];
    for (const s of statements) {
      if (s.Effect !== "Allow") continue;
      const actions = strings(s.Action);
      if (!actions.some((a) => /^sts:(AssumeRoleWithWebIdentity|\*)$|^\*$/i.test(a))) continue;
      const principal = isRecord(s.Principal) ? strings(s.Principal.Federated) : [];
      if (principal.length === 0) continue;
      if (principal.some((p) => GITHUB_ISSUER.test(p))) {
        found.push({
          cloud: "aws",
          actor: "ci",
          principal: role,
          binding: role,
          namespaces: [],
          serviceAccounts: [],
        });
        continue;
      }
      // Any other OIDC provider is a cluster's: who may assume is what `<issuer>:sub` admits.
      const subjects: string[] = [];
      for (const operator of Object.values(isRecord(s.Condition) ? s.Condition : {})) {
        if (!isRecord(operator)) continue;
        for (const [key, value] of Object.entries(operator)) {
          if (key.endsWith(":sub")) subjects.push(...strings(value));
        }
      }
      const parsed = subjects.map((sub) => SERVICE_ACCOUNT_SUBJECT.exec(sub));
      found.push({
        cloud: "aws",
        actor: "kubernetes",
        principal: role,
        binding: role,
        namespaces: subjects.length === 0 ? ["*"] : parsed.map((m, i) => (m ? m[1] : subjects[i])),
        serviceAccounts: subjects.length === 0 ? ["*"] : parsed.map((m, i) => (m ? m[2] : subjects[i])),
      });
    }
  }
  return found;
}

/** `serviceAccount:p.svc.id.goog[ns/sa]`, `principal://…svc.id.goog/subject/ns/N/sa/S`, `principalSet://…svc.id.goog/namespace/N`. */
function gkeMember(member: string): { namespace: string; serviceAccount: string } | undefined {
  let m = /^serviceAccount:[^[]+\.svc\.id\.goog\[([^/\]]*)\/([^\]]*)\]$/.exec(member);
  if (m) return { namespace: m[1], serviceAccount: m[2] };
  m = /^principal:\/\/.*\.svc\.id\.goog\/subject\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(member);
  if (m) return { namespace: m[1], serviceAccount: m[2] };
  m = /^principalSet:\/\/.*\.svc\.id\.goog\/namespace\/([^/]+)$/.exec(member);
  if (m) return { namespace: m[1], serviceAccount: "*" };
  if (/^principalSet:\/\/.*\.svc\.id\.goog\//.test(member)) return { namespace: "*", serviceAccount: "*" };
  return undefined;
}

/** The service account a binding on `serviceAccountId` is about. */
function gcpAccountOf(binding: PolicyResource, accounts: PolicyResource[]): PolicyResource | undefined {
  const id = prop(binding, "serviceAccountId");
  return accounts.find((account) => {
    if (references(binding, "serviceAccountId", account)) return true;
    if (typeof id !== "string") return false;
    const email = prop(account, "email");
    return identities(account).includes(id) || (typeof email === "string" && id.endsWith(email));
  });
}

function gcpBindings(resources: readonly PolicyResource[]): Binding[] {
  const accounts = resources.filter((r) => r.type === "gcp:serviceaccount/account:Account");
  const found: Binding[] = [];
  for (const r of resources) {
    if (
      r.type !== "gcp:serviceaccount/iAMMember:IAMMember" &&
      r.type !== "gcp:serviceaccount/iAMBinding:IAMBinding"
    )
      continue;
    if (prop(r, "role") !== "roles/iam.workloadIdentityUser") continue;
    const account = gcpAccountOf(r, accounts);
    if (!account) continue;
    const members = [...strings(prop(r, "member")), ...strings(prop(r, "members"))];
    for (const member of members) {
      const gke = gkeMember(member);
      found.push(
        gke
          ? {
              cloud: "gcp",
              actor: "kubernetes",
              principal: account,
              binding: r,
              namespaces: [gke.namespace],
              serviceAccounts: [gke.serviceAccount],
            }
          : {
              cloud: "gcp",
              actor: "ci",
              principal: account,
              binding: r,
              namespaces: [],
              serviceAccounts: [],
            },
      );
    }
  }
  return found;
}

function azureBindings(resources: readonly PolicyResource[]): Binding[] {
  const identitiesOfStack = resources.filter(
    (r) => r.type === "azure-native:managedidentity:UserAssignedIdentity",
  );
  const found: Binding[] = [];
  for (const credential of resources.filter(
    (r) => r.type === "azure-native:managedidentity:FederatedIdentityCredential",
  )) {
    const resourceName = prop(credential, "resourceName");
    const identity = identitiesOfStack.find(
      (i) =>
        references(credential, "resourceName", i) ||
        (typeof resourceName === "string" &&
          (prop(i, "resourceName") === resourceName || prop(i, "name") === resourceName)),
    );
    if (!identity) continue;
    const issuer = String(prop(credential, "issuer") ?? "");
    const subject = String(prop(credential, "subject") ?? "");
    const match = SERVICE_ACCOUNT_SUBJECT.exec(subject);
    if (GITHUB_ISSUER.test(issuer) && !match) {
      found.push({
        cloud: "azure",
        actor: "ci",
        principal: identity,
        binding: credential,
        namespaces: [],
        serviceAccounts: [],
      });
      continue;
    }
    // A flexible credential matches claims by expression: treat it as admitting any subject.
    const flexible = prop(credential, "claimsMatchingExpression") !== undefined;
    found.push({
      cloud: "azure",
      actor: "kubernetes",
      principal: identity,
      binding: credential,
      namespaces: [flexible || !match ? "*" : match[1]],
      serviceAccounts: [flexible || !match ? "*" : match[2]],
    });
  }
  return found;
}

/** Every workload-identity binding in the stack, on every cloud. */
export function bindings(resources: readonly PolicyResource[]): Binding[] {
  return [
    ...vaultBindings(resources),
    ...awsBindings(resources),
    ...gcpBindings(resources),
    ...azureBindings(resources),
  ];
}
