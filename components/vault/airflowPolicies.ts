/**
 * The two policies every environment gets, as data: Airflow's reader (only `read` on its own
 * environment's connection, variable and config paths, plus the database credentials it may
 * generate) and the CI writer (writes secret versions, never reads them; outside production it also
 * deletes and edits metadata, in production it can neither change metadata nor delete or destroy
 * versions). Both are validated against the environment's scope before anything is registered.
 */
import { ENVIRONMENT_PATTERN, Problems } from "../airflow";
import { checkMountPath } from "./paths";
import {
  PolicyScope,
  VaultCapability,
  VaultPolicyDocument,
  VaultPolicyRule,
  validatePolicyName,
  validatePolicyRules,
} from "./policyDocument";

/** KV v2 API prefixes under a mount (`{mount}/{api}/{path}`). */
export const KV2_APIS = ["data", "metadata", "delete", "undelete", "destroy", "subkeys"] as const;

/** The token-create path the Vault provider uses for its short-lived child token. */
export const CHILD_TOKEN_PATH = "auth/token/create";

export interface EnvironmentPoliciesInput {
  environment: string;
  /** KV v2 mount path, e.g. `airflow`. */
  mount: string;
  /**
   * The environment's KV paths under the mount, one per kind Airflow reads (the layout's
   * `connections_path`, `variables_path`, `config_path`), e.g. `staging/connections`.
   */
  kvPrefixes: string[];
  /** Database credential paths Airflow's tasks may read (`{db mount}/creds/{role}`), exact. */
  databaseCredentialPaths?: string[];
  /** Production: the writer cannot rewrite history (no metadata writes, no version deletes). */
  production: boolean;
  readerName?: string;
  writerName?: string;
  /** Extra reader rules; each must stay inside the environment and may grant only `read` or `deny`. */
  extraReaderRules?: VaultPolicyRule[];
  /** Extra writer rules; each must stay inside the environment and may not grant `read` on data. */
  extraWriterRules?: VaultPolicyRule[];
}

export interface EnvironmentPolicyDocuments {
  reader: VaultPolicyDocument;
  writer: VaultPolicyDocument;
  readerScope: PolicyScope;
  writerScope: PolicyScope;
}

/** Default policy names: `airflow-{env}-reader` / `airflow-{env}-writer`. */
export const defaultPolicyName = (environment: string, role: "reader" | "writer") =>
  `airflow-${environment}-${role}`;

/**
 * Checks that `path` (a layout prefix under the mount) starts with the environment segment and names
 * at least one more segment, so the environment's policies can cover it and nothing else.
 */
export function checkEnvironmentPrefix(
  environment: string,
  path: string,
  field: string,
  problems: Problems,
): boolean {
  const segments = typeof path === "string" ? path.split("/") : [];
  return problems.check(
    segments.length >= 2 &&
      segments[0] === environment &&
      segments.every((s) => s !== "" && s !== "." && s !== ".." && !s.includes("*") && !s.includes("+")),
    field,
    `must be "${environment}/<name>" (the environment's own subtree, no "*", "+", "." or ".." segments) so the ${environment} policies cover it`,
  );
}

function readerScope(input: EnvironmentPoliciesInput): PolicyScope {
  return {
    label: `environment "${input.environment}" (reader)`,
    prefixes: [`${input.mount}/data/${input.environment}`],
    exactPaths: input.databaseCredentialPaths ?? [],
    allowedCapabilities: ["read", "deny"],
  };
}

/**
 * What the production CI writer may never hold: writing metadata (`max_versions=1` or
 * `delete_version_after` would expire history; Pulumi's deployer sets metadata, not CI), deleting it
 * (every version goes), and deleting or destroying versions.
 */
function productionWriterForbidden(input: EnvironmentPoliciesInput): NonNullable<PolicyScope["forbidden"]> {
  const under = (api: string) => `${input.mount}/${api}/${input.environment}`;
  const metadata = (["create", "update", "patch", "delete"] as const).map((capability) => ({
    prefix: under("metadata"),
    capability,
    reason:
      "in production the CI writer must not change or delete a secret's metadata (max_versions and delete_version_after decide how long history lives; Pulumi's deployer sets them)",
  }));
  return [
    ...metadata,
    {
      prefix: under("data"),
      capability: "delete",
      reason: "in production the CI writer must not delete secret versions",
    },
    {
      prefix: under("delete"),
      capability: "update",
      reason: "in production the CI writer must not delete secret versions",
    },
    {
      prefix: under("destroy"),
      capability: "update",
      reason: "in production the CI writer must not permanently destroy versions",
    },
  ];
}

function writerScope(input: EnvironmentPoliciesInput): PolicyScope {
  return {
    label: `environment "${input.environment}" (writer)`,
    prefixes: KV2_APIS.map((api) => `${input.mount}/${api}/${input.environment}`),
    exactPaths: [CHILD_TOKEN_PATH],
    allowedCapabilities: ["create", "read", "update", "patch", "delete", "list", "deny"],
    forbidden: [
      {
        prefix: `${input.mount}/data/${input.environment}`,
        capability: "read",
        reason: "the CI writer writes secrets but must never read them back (separation of duties)",
      },
      {
        prefix: `${input.mount}/subkeys/${input.environment}`,
        capability: "read",
        reason: "the CI writer must not inspect stored secrets",
      },
      // Production history is never rewritten by CI, and an extra rule must not grant it back.
      ...(input.production ? productionWriterForbidden(input) : []),
    ],
  };
}

const rule = (path: string, capabilities: VaultCapability[], description: string): VaultPolicyRule => ({
  path,
  capabilities,
  description,
});

/** The rules this module generates for the environment (without the stack's extra rules). */
function generatedRules(input: EnvironmentPoliciesInput): {
  reader: VaultPolicyRule[];
  writer: VaultPolicyRule[];
} {
  const { mount } = input;
  const readerRules: VaultPolicyRule[] = input.kvPrefixes.map((prefix) =>
    rule(
      `${mount}/data/${prefix}/*`,
      ["read"],
      `Airflow's VaultBackend reads ${mount}/data/${prefix}/<id> (KV v2). Read only: no list, no metadata.`,
    ),
  );
  for (const path of input.databaseCredentialPaths ?? []) {
    readerRules.push(
      rule(
        path,
        ["read"],
        "Tasks generate short-lived database credentials here (not readable as an Airflow connection).",
      ),
    );
  }

  const writerRules: VaultPolicyRule[] = [];
  for (const prefix of input.kvPrefixes) {
    if (input.production) {
      writerRules.push(
        rule(
          `${mount}/data/${prefix}/*`,
          ["create", "update"],
          "Write new secret versions; KV v2 writes return metadata only, so no read. No delete: production history is never removed by CI.",
        ),
        rule(
          `${mount}/metadata/${prefix}/*`,
          ["read", "list"],
          "List secrets and see version numbers and timestamps (metadata holds no values). No create, update or delete: max_versions and delete_version_after are Pulumi's deployer's, not CI's.",
        ),
        rule(`${mount}/undelete/${prefix}/*`, ["update"], "Restore soft-deleted versions."),
      );
    } else {
      writerRules.push(
        rule(
          `${mount}/data/${prefix}/*`,
          ["create", "update", "delete"],
          "Write and soft-delete secret versions; KV v2 writes return metadata only, so no read.",
        ),
        rule(
          `${mount}/metadata/${prefix}/*`,
          ["create", "update", "read", "list", "delete"],
          "Custom metadata, listing and version info; delete removes every version of a removed secret.",
        ),
        rule(`${mount}/delete/${prefix}/*`, ["update"], "Soft-delete specific versions."),
        rule(`${mount}/undelete/${prefix}/*`, ["update"], "Restore soft-deleted versions."),
      );
    }
  }
  writerRules.push(
    rule(
      CHILD_TOKEN_PATH,
      ["update"],
      "The Vault provider works with a short-lived child token; children never exceed this policy.",
    ),
  );
  return { reader: readerRules, writer: writerRules };
}

/** Builds both documents (generated rules, then the stack's extra rules); not yet validated. */
export function environmentPolicyDocuments(input: EnvironmentPoliciesInput): EnvironmentPolicyDocuments {
  const generated = generatedRules(input);
  return {
    reader: {
      name: input.readerName ?? defaultPolicyName(input.environment, "reader"),
      rules: [...generated.reader, ...(input.extraReaderRules ?? [])],
    },
    writer: {
      name: input.writerName ?? defaultPolicyName(input.environment, "writer"),
      rules: [...generated.writer, ...(input.extraWriterRules ?? [])],
    },
    readerScope: readerScope(input),
    writerScope: writerScope(input),
  };
}

/** Validates the input and both documents; returns them when nothing is wrong. */
export function validateEnvironmentPolicies(
  input: EnvironmentPoliciesInput,
  problems: Problems,
  field: string,
): EnvironmentPolicyDocuments | undefined {
  const before = problems.list.length;
  const envOk = problems.check(
    typeof input.environment === "string" && ENVIRONMENT_PATTERN.test(input.environment),
    `${field}.environment`,
    `must be a non-empty environment name: 1-20 lowercase letters, digits or -, starting with a letter`,
  );
  checkMountPath(input.mount, `${field}.mount`, problems);
  problems.check(
    Array.isArray(input.kvPrefixes) && input.kvPrefixes.length > 0,
    `${field}.kvPrefixes`,
    "must name at least one path",
  );
  if (!envOk || problems.list.length > before) return undefined;
  input.kvPrefixes.forEach((prefix, i) =>
    checkEnvironmentPrefix(input.environment, prefix, `${field}.kvPrefixes[${i}]`, problems),
  );
  if (problems.list.length > before) return undefined;
  const documents = environmentPolicyDocuments(input);
  const generated = generatedRules(input);
  // Generated rules are checked against the same scope as the stack's: a layout or mount that would
  // make them reach outside the environment is caught here too.
  validatePolicyRules(generated.reader, documents.readerScope, problems, `${field}.reader.rules`);
  validatePolicyRules(generated.writer, documents.writerScope, problems, `${field}.writer.rules`);
  if (input.extraReaderRules !== undefined) {
    validatePolicyRules(input.extraReaderRules, documents.readerScope, problems, `${field}.extraReaderRules`);
  }
  if (input.extraWriterRules !== undefined) {
    validatePolicyRules(input.extraWriterRules, documents.writerScope, problems, `${field}.extraWriterRules`);
  }
  validatePolicyName(documents.reader.name, problems, `${field}.readerName`);
  validatePolicyName(documents.writer.name, problems, `${field}.writerName`);
  problems.check(
    documents.reader.name !== documents.writer.name,
    `${field}.writerName`,
    "must differ from the reader policy's name",
  );
  return problems.list.length > before ? undefined : documents;
}
