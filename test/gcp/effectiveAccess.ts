/**
 * What a member may actually do on a named secret, whatever the shape of the grant: a per-secret
 * IAM member, a secret's own IAM policy, or a project binding whose IAM condition is evaluated by a
 * real CEL interpreter (@bufbuild/cel) on the secret's resource name and on a version's, the
 * two names Secret Manager checks (metadata and access).
 */
import { run } from "@bufbuild/cel";
import { RecordedResource } from "../../cli/synth/mockRuntime";
import { ofType } from "../support/resources";
import { secretById } from "./helpers";

const PROJECT_IAM = "gcp:projects/iAMMember:IAMMember";
const SECRET_IAM_MEMBER = "gcp:secretmanager/secretIamMember:SecretIamMember";
const SECRET_IAM_POLICY = "gcp:secretmanager/secretIamPolicy:SecretIamPolicy";

/** True when the project binding's condition lets it apply to secret `id` (and its versions). */
export function conditionAllows(binding: RecordedResource, projectNumber: string, id: string): boolean {
  const condition = binding.inputs.condition as { expression?: string } | undefined;
  if (!condition?.expression) return true;
  const secret = `projects/${projectNumber}/secrets/${id}`;
  const on = (name: string) => run(condition.expression!, { resource: new Map([["name", name]]) }) === true;
  const onSecret = on(secret);
  const onVersion = on(`${secret}/versions/3`);
  if (onSecret !== onVersion)
    throw new Error(`condition of ${binding.name} treats ${id} and its versions apart`);
  return onSecret;
}

/** `{ secret id → sorted roles }` that `member` holds on each of `ids` in project `projectNumber`. */
export function effectiveGrants(
  resources: readonly RecordedResource[],
  member: string,
  ids: readonly string[],
  projectNumber: string,
): Record<string, string[]> {
  const grants: Record<string, Set<string>> = {};
  const add = (id: string, role: string) => (grants[id] ??= new Set()).add(role);
  const secretIdOf = (r: RecordedResource) =>
    String(secretById(resources, r.inputs.secretId).inputs.secretId);
  for (const r of ofType(resources, SECRET_IAM_MEMBER).filter((g) => g.inputs.member === member)) {
    if (ids.includes(secretIdOf(r))) add(secretIdOf(r), String(r.inputs.role));
  }
  for (const r of ofType(resources, SECRET_IAM_POLICY)) {
    const policy = JSON.parse(String(r.inputs.policyData)) as {
      bindings: Array<{ role: string; members: string[]; condition?: unknown }>;
    };
    for (const b of policy.bindings) {
      if (b.condition !== undefined) throw new Error(`unexpected conditional binding in ${r.name}`);
      if (b.members.includes(member) && ids.includes(secretIdOf(r))) add(secretIdOf(r), b.role);
    }
  }
  for (const r of ofType(resources, PROJECT_IAM).filter((g) => g.inputs.member === member)) {
    const role = String(r.inputs.role);
    if (!role.startsWith("roles/secretmanager.")) continue;
    for (const id of ids) if (conditionAllows(r, projectNumber, id)) add(id, role);
  }
  return Object.fromEntries(
    Object.entries(grants)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, roles]) => [id, [...roles].sort()]),
  );
}

/**
 * Secret ids this environment does not own but that sit close to its names: the same ids under other
 * environments (including names that extend this one, `prod` → `prod2`, `prod-eu`), other kinds'
 * and other projects' prefixes.
 */
export function neighbouringIds(ownIds: readonly string[], environment: string): string[] {
  const others = [`${environment}2`, `${environment}-eu`, "dev", "staging", `pre${environment}`];
  const out = new Set<string>();
  for (const id of ownIds) {
    for (const other of others) out.add(id.replace(`-${environment}-`, `-${other}-`));
    out.add(`other-${id}`);
    out.add(id.replace(/^airflow-/, "airflow2-"));
  }
  for (const id of ownIds) out.delete(id);
  return [...out];
}
