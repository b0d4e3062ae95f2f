/** Queries over recorded resources shared by the GCP mock tests. */
import { isSecretValue, RecordedResource } from "../../cli/synth/mockRuntime";
import { Problems, SecretsDeclarations } from "../../components/airflow";
import { BackendContext, prepareBackend } from "../../components/backend";
import { backend } from "../../components/gcp/backend";
import { GcpResolved } from "../../components/gcp/gcpAirflowSecrets";
import { ofType } from "../support/resources";

export { ofType, one } from "../support/resources";

/** A rotated warehouse connection and a variable: what most GCP tests declare. */
export const rotatedWarehouse = (): SecretsDeclarations => ({
  connections: [
    {
      conn_id: "warehouse",
      conn_type: "postgres",
      host: "db",
      login: "airflow",
      password: "pw",
      rotation: { strategy: "single-user", everyDays: 30 },
    },
  ],
  variables: [{ key: "region", value: "eu" }],
});

export const SECRET_TYPE = "gcp:secretmanager/secret:Secret";
export const VERSION_TYPE = "gcp:secretmanager/secretVersion:SecretVersion";
export const SECRET_IAM_TYPE = "gcp:secretmanager/secretIamMember:SecretIamMember";

/** Resources under the resource named `root` (any depth), the root included. */
export function subtree(resources: readonly RecordedResource[], root: string): RecordedResource[] {
  const top = resources.find((r) => r.name === root);
  if (!top) throw new Error(`no resource named ${root}`);
  const inside = new Set([top.urn]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const r of resources) {
      if (r.parent && inside.has(r.parent) && !inside.has(r.urn)) {
        inside.add(r.urn);
        grew = true;
      }
    }
  }
  return resources.filter((r) => inside.has(r.urn));
}

/** The mock gives every custom resource the id `${name}-id`: map an id input back to its Secret. */
export function secretById(resources: readonly RecordedResource[], id: unknown): RecordedResource {
  const secret = ofType(resources, SECRET_TYPE).find((s) => `${s.name}-id` === id);
  if (!secret) throw new Error(`no secret with id ${String(id)}`);
  return secret;
}

/** `{ secretId (storage name) → roles }` granted to `member` through per-secret IAM. */
export function secretGrants(
  resources: readonly RecordedResource[],
  member: string,
): Record<string, string[]> {
  const grants: Record<string, string[]> = {};
  for (const grant of ofType(resources, SECRET_IAM_TYPE).filter((g) => g.inputs.member === member)) {
    const secretId = String(secretById(resources, grant.inputs.secretId).inputs.secretId);
    (grants[secretId] ??= []).push(String(grant.inputs.role));
    grants[secretId].sort();
  }
  return grants;
}

export function unwrap<T>(value: unknown): T {
  return (isSecretValue(value) ? value.value : value) as T;
}

/** Options the recorder does not keep, read from the registration requests. */
export interface RegistrationOptions {
  ignoreChanges: string[];
  /** URNs the resource depends on (explicit `dependsOn` and input dependencies). */
  dependencies: string[];
}

/**
 * Wraps the (already mocked) monitor to see each registration's ignoreChanges and dependencies, by
 * resource name. Call after `installMocks` and before the program runs.
 */
export function captureRegistrationOptions(): Map<string, RegistrationOptions> {
  const captured = new Map<string, RegistrationOptions>();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as {
    getMonitor(): { registerResource(req: RegisterRequestLike, cb: unknown): unknown };
  };
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    captured.set(req.getName(), {
      ignoreChanges: req.getIgnorechangesList(),
      dependencies: req.getDependenciesList(),
    });
    return register(req, cb);
  };
  return captured;
}

interface RegisterRequestLike {
  getName(): string;
  getIgnorechangesList(): string[];
  getDependenciesList(): string[];
}

const HIERARCHY_IAM = /^gcp:(projects|organizations|folder)\/iAM(Member|Binding|Policy):/;
/** Roles that include `secretmanager.versions.access`. */
export const ROLES_READING_SECRETS = [
  "roles/secretmanager.secretAccessor",
  "roles/secretmanager.admin",
  "roles/owner",
  "roles/editor",
];

/** Project-, folder- and organization-level IAM resources that let someone read every secret (no condition). */
export function unconditionalSecretReaders(resources: readonly RecordedResource[]): RecordedResource[] {
  return resources.filter((r) => {
    if (!HIERARCHY_IAM.test(r.type)) return false;
    const bindings =
      typeof r.inputs.policyData === "string"
        ? (JSON.parse(r.inputs.policyData).bindings as Array<{ role: string; condition?: unknown }>)
        : [{ role: String(r.inputs.role), condition: r.inputs.condition }];
    return bindings.some((b) => ROLES_READING_SECRETS.includes(b.role) && !b.condition);
  });
}

/** Parse → plan → resolve of the GCP backend, as the environment runs it; registers nothing. */
export function resolveGcp(
  settings: unknown,
  context: Partial<BackendContext> = {},
): { resolved: GcpResolved | undefined; problems: Array<{ path: string; rule: string }> } {
  const problems = new Problems();
  const environment = context.environment ?? "prod";
  const resolved = prepareBackend(
    backend,
    {
      environment,
      production: context.production ?? environment === "prod",
      owner: context.owner,
      declarations: context.declarations ?? {},
      airflow: context.airflow ?? { version: "2.10" },
      kubernetes: context.kubernetes ?? { namespace: "airflow", serviceAccount: "airflow" },
      now: context.now ?? new Date(),
    },
    settings,
    problems,
  );
  return { resolved, problems: [...problems.list] };
}
