/**
 * The environment policies, rendered to HCL, parsed by the real HCL parser and evaluated by the ACL
 * evaluator: what Airflow's reader and the CI writer can and cannot do, environment by environment.
 */
import { Problems } from "../../components/airflow";
import {
  EnvironmentPoliciesInput,
  environmentPolicyDocuments,
  validateEnvironmentPolicies,
} from "../../components/vault/airflowPolicies";
import { VaultPolicyRule, renderPolicyHcl } from "../../components/vault/policyDocument";
import { VaultAcl, VaultOperation, parseHclPolicy } from "../support/vaultAcl";

const input = (
  environment: string,
  overrides: Partial<EnvironmentPoliciesInput> = {},
): EnvironmentPoliciesInput => ({
  environment,
  mount: "airflow",
  kvPrefixes: [`${environment}/connections`, `${environment}/variables`, `${environment}/config`],
  databaseCredentialPaths: [
    `database/creds/airflow-${environment}-readonly`,
    `database/static-creds/airflow-${environment}-etl`,
  ],
  production: environment === "prod",
  ...overrides,
});

function validated(environment: string, overrides: Partial<EnvironmentPoliciesInput> = {}) {
  const problems = new Problems();
  const documents = validateEnvironmentPolicies(input(environment, overrides), problems, "policies");
  problems.throwIfAny("policies");
  return documents!;
}

const acls: Record<string, VaultAcl> = {};

beforeAll(async () => {
  for (const env of ["staging", "prod"]) {
    const { reader, writer } = validated(env);
    acls[`reader(${env})`] = await VaultAcl.fromHcl(renderPolicyHcl(reader));
    acls[`writer(${env})`] = await VaultAcl.fromHcl(renderPolicyHcl(writer));
  }
});

type Row = [principal: string, operation: VaultOperation, path: string, allowed: boolean];

const TABLE: Row[] = [
  // Airflow's reader: read exactly its environment's three paths (ids may contain "/").
  ["reader(staging)", "read", "airflow/data/staging/connections/warehouse", true],
  ["reader(staging)", "read", "airflow/data/staging/connections/team/warehouse", true],
  ["reader(staging)", "read", "airflow/data/staging/variables/alert_email", true],
  ["reader(staging)", "read", "airflow/data/staging/config/fernet_key", true],
  ["reader(staging)", "read", "database/creds/airflow-staging-readonly", true],
  ["reader(staging)", "read", "database/static-creds/airflow-staging-etl", true],
  // …and nothing else: no list, no write, no delete, no metadata, no other path or environment.
  ["reader(staging)", "list", "airflow/metadata/staging/connections/", false],
  ["reader(staging)", "list", "airflow/data/staging/connections/", false],
  ["reader(staging)", "read", "airflow/metadata/staging/connections/warehouse", false],
  ["reader(staging)", "create", "airflow/data/staging/connections/new", false],
  ["reader(staging)", "update", "airflow/data/staging/connections/warehouse", false],
  ["reader(staging)", "patch", "airflow/data/staging/connections/warehouse", false],
  ["reader(staging)", "delete", "airflow/data/staging/connections/warehouse", false],
  ["reader(staging)", "delete", "airflow/metadata/staging/connections/warehouse", false],
  ["reader(staging)", "update", "airflow/destroy/staging/connections/warehouse", false],
  ["reader(staging)", "read", "airflow/data/staging/other/thing", false],
  ["reader(staging)", "read", "airflow/data/staging", false],
  ["reader(staging)", "read", "airflow/data/staging/connections", false],
  ["reader(staging)", "read", "airflow/data/prod/connections/warehouse", false],
  ["reader(staging)", "read", "airflow/data/prod/config/fernet_key", false],
  ["reader(staging)", "read", "database/creds/airflow-prod-readonly", false],
  ["reader(staging)", "update", "database/creds/airflow-staging-readonly", false],
  ["reader(staging)", "read", "database/creds/airflow-staging-readwrite", false],
  ["reader(staging)", "read", "sys/mounts", false],
  ["reader(prod)", "read", "airflow/data/prod/connections/warehouse", true],
  ["reader(prod)", "read", "airflow/data/staging/connections/warehouse", false],
  // The CI writer: writes, deletes and reads metadata, never secret data.
  ["writer(staging)", "create", "airflow/data/staging/connections/warehouse", true],
  ["writer(staging)", "update", "airflow/data/staging/variables/alert_email", true],
  ["writer(staging)", "delete", "airflow/data/staging/config/fernet_key", true],
  ["writer(staging)", "read", "airflow/metadata/staging/connections/warehouse", true],
  ["writer(staging)", "list", "airflow/metadata/staging/connections/", true],
  ["writer(staging)", "update", "airflow/metadata/staging/connections/warehouse", true],
  ["writer(staging)", "delete", "airflow/metadata/staging/connections/warehouse", true],
  ["writer(staging)", "update", "airflow/undelete/staging/connections/warehouse", true],
  ["writer(staging)", "update", "airflow/delete/staging/connections/warehouse", true],
  ["writer(staging)", "update", "auth/token/create", true],
  ["writer(staging)", "read", "airflow/data/staging/connections/warehouse", false],
  ["writer(staging)", "read", "airflow/data/staging/config/fernet_key", false],
  ["writer(staging)", "patch", "airflow/data/staging/connections/warehouse", false],
  ["writer(staging)", "read", "airflow/subkeys/staging/connections/warehouse", false],
  ["writer(staging)", "update", "airflow/destroy/staging/connections/warehouse", false],
  ["writer(staging)", "create", "airflow/data/prod/connections/warehouse", false],
  ["writer(staging)", "list", "airflow/metadata/prod/connections/", false],
  ["writer(staging)", "read", "database/creds/airflow-staging-readonly", false],
  ["writer(staging)", "update", "sys/policies/acl/airflow-staging-reader", false],
  // Production: CI writes new versions of values and nothing else. Metadata (max_versions,
  // delete_version_after, custom metadata) is Pulumi's deployer's: a writer able to set
  // max_versions=1 or delete_version_after could expire every earlier version.
  ["writer(prod)", "create", "airflow/data/prod/connections/warehouse", true],
  ["writer(prod)", "update", "airflow/data/prod/connections/warehouse", true],
  ["writer(prod)", "create", "airflow/data/prod/config/fernet_key", true],
  ["writer(prod)", "update", "airflow/data/prod/variables/alert_email", true],
  ["writer(prod)", "read", "airflow/data/prod/connections/warehouse", false],
  ["writer(prod)", "patch", "airflow/data/prod/connections/warehouse", false],
  ["writer(prod)", "delete", "airflow/data/prod/connections/warehouse", false],
  ["writer(prod)", "create", "airflow/metadata/prod/connections/warehouse", false],
  ["writer(prod)", "update", "airflow/metadata/prod/connections/warehouse", false],
  ["writer(prod)", "patch", "airflow/metadata/prod/connections/warehouse", false],
  ["writer(prod)", "delete", "airflow/metadata/prod/connections/warehouse", false],
  ["writer(prod)", "update", "airflow/metadata/prod/variables/alert_email", false],
  ["writer(prod)", "update", "airflow/metadata/prod/config/fernet_key", false],
  // Metadata read and list stay: they return version numbers, timestamps and custom metadata, never a
  // value (values are only under data/, which the writer cannot read, and subkeys/, likewise).
  ["writer(prod)", "read", "airflow/metadata/prod/connections/warehouse", true],
  ["writer(prod)", "list", "airflow/metadata/prod/connections/", true],
  ["writer(prod)", "read", "airflow/subkeys/prod/connections/warehouse", false],
  // No version is deleted or destroyed; restoring a soft-deleted one is allowed.
  ["writer(prod)", "update", "airflow/delete/prod/connections/warehouse", false],
  ["writer(prod)", "update", "airflow/destroy/prod/connections/warehouse", false],
  ["writer(prod)", "update", "airflow/undelete/prod/connections/warehouse", true],
  // The mount-wide settings (max_versions, delete_version_after for every secret) are out of reach.
  ["writer(prod)", "update", "airflow/config", false],
  ["writer(prod)", "create", "airflow/config", false],
  ["writer(prod)", "update", "auth/token/create", true],
  ["writer(prod)", "create", "airflow/data/staging/connections/warehouse", false],
  ["writer(staging)", "update", "airflow/config", false],
];

test.each(TABLE)("%s %s %s → %p", (principal, operation, path, allowed) => {
  expect(acls[principal].allows(operation, path)).toBe(allowed);
});

test("a token holding both staging policies still cannot read another environment", async () => {
  const { reader, writer } = validated("staging");
  const both = await VaultAcl.fromHcl(renderPolicyHcl(reader), renderPolicyHcl(writer));
  expect(both.allows("read", "airflow/data/staging/connections/warehouse")).toBe(true);
  expect(both.allows("read", "airflow/data/prod/connections/warehouse")).toBe(false);
  expect(both.allows("create", "airflow/data/prod/connections/warehouse")).toBe(false);
});

test("the rendered HCL parses to exactly the document's rules", async () => {
  const { reader } = validated("staging", {
    extraReaderRules: [
      {
        path: "airflow/data/staging/shared/+/token",
        capabilities: ["read"],
        description: 'a "quoted" ${not-a-template}',
      },
    ],
  });
  const parsed = await parseHclPolicy(renderPolicyHcl(reader));
  const fromHcl = Object.entries(parsed.path!).map(([path, blocks]) => ({
    path,
    capabilities: (Array.isArray(blocks) ? blocks : [blocks]).flatMap((b) => b.capabilities ?? []),
  }));
  const byPath = (a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path);
  // The parser returns blocks keyed by path (sorted), so compare as sets of rules.
  expect(fromHcl.sort(byPath)).toEqual(
    reader.rules.map((r) => ({ path: r.path, capabilities: r.capabilities })).sort(byPath),
  );
});

describe("validation", () => {
  const rulesOf = (problems: Problems) => problems.list.map((p) => `${p.path}: ${p.rule}`).join("\n");
  const check = (environment: string, overrides: Partial<EnvironmentPoliciesInput>) => {
    const problems = new Problems();
    const documents = validateEnvironmentPolicies(input(environment, overrides), problems, "policies");
    return { documents, problems, text: rulesOf(problems) };
  };
  const extra = (path: string, capabilities: string[] = ["read"]): VaultPolicyRule[] => [
    { path, capabilities: capabilities as VaultPolicyRule["capabilities"] },
  ];

  test("an unknown capability is refused", () => {
    const { documents, text } = check("staging", {
      extraReaderRules: extra("airflow/data/staging/connections/x", ["reed"]),
    });
    expect(documents).toBeUndefined();
    expect(text).toContain('policies.extraReaderRules[0].capabilities: "reed" is not a Vault capability');
  });

  test("an empty environment is refused before any rule is built", () => {
    const { documents, text } = check("", {});
    expect(documents).toBeUndefined();
    expect(text).toMatch(/^policies\.environment: must be a non-empty environment name/);
  });

  test.each([
    [
      "a .. segment",
      "airflow/data/staging/../prod/connections/*",
      /must not contain empty, "\." or "\.\." segments/,
    ],
    ["another environment", "airflow/data/prod/connections/*", /is outside environment "staging"/],
    ["a wildcard for the environment", "airflow/data/+/connections/*", /is outside environment "staging"/],
    ["a glob over all environments", "airflow/data/*", /is outside environment "staging"/],
    ["a glob broader than the environment name", "airflow/data/staging*", /is outside environment "staging"/],
    ["a prefix of the environment name", "airflow/data/stag*", /is outside environment "staging"/],
    ["the environment root itself", "airflow/data/staging", /is outside environment "staging"/],
    ["another mount", "secret/data/staging/connections/*", /is outside environment "staging"/],
    ["a glob in the middle", "airflow/data/staging/*/x", /"\*" is a glob only at the very end/],
    ["a partial + segment", "airflow/data/staging/conn+/x", /"\+" is a wildcard only as a whole segment/],
    ["an HCL template marker", "airflow/data/staging/${x}", /may only hold letters/],
  ])("a path with %s is refused", (_label, path, rule) => {
    const { documents, text } = check("staging", { extraReaderRules: extra(path) });
    expect(documents).toBeUndefined();
    expect(text).toMatch(rule);
  });

  test("the reader may only read, and the writer may never read secret data", () => {
    const { text } = check("staging", {
      extraReaderRules: extra("airflow/data/staging/connections/*", ["list"]),
      extraWriterRules: [
        ...extra("airflow/data/staging/*", ["read"]),
        ...extra("airflow/+/staging/connections/x", ["read"]),
        ...extra("airflow/metadata/staging/*", ["sudo"]),
      ],
    });
    expect(text).toContain(
      'policies.extraReaderRules[0].capabilities: "list" is not allowed in environment "staging" (reader) policies',
    );
    expect(text).toContain(
      'policies.extraWriterRules[0].capabilities: "read" under "airflow/data/staging/…" is refused',
    );
    expect(text).toContain('policies.extraWriterRules[1].path: is outside environment "staging"');
    expect(text).toContain('policies.extraWriterRules[2].capabilities: "sudo" is not allowed');
  });

  test("a layout path outside the environment is refused", () => {
    const { documents, text } = check("staging", {
      kvPrefixes: ["prod/connections", "staging/variables", "staging"],
    });
    expect(documents).toBeUndefined();
    expect(text).toContain('policies.kvPrefixes[0]: must be "staging/<name>"');
    expect(text).toContain('policies.kvPrefixes[2]: must be "staging/<name>"');
  });

  test("valid extra rules inside the environment are kept after the generated ones", () => {
    const { documents, problems } = check("staging", {
      extraWriterRules: extra("airflow/metadata/staging/*", ["list"]),
    });
    expect(problems.empty).toBe(true);
    expect(documents!.writer.rules.at(-1)!.path).toBe("airflow/metadata/staging/*");
    expect(environmentPolicyDocuments(input("staging")).writer.rules.length).toBe(
      documents!.writer.rules.length - 1,
    );
  });
});
