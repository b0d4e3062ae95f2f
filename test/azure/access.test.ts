/**
 * Who can do what: Airflow's workload identity and its read-only grant on one vault, the CI writer
 * that can never read a value, the rotator's per-secret grants and its journals (blobs of its own
 * storage that no other identity reaches); plus the audit trail, the alert on failed reads, and the
 * rotation wiring. Role permissions are evaluated with a wildcard matcher written here from Azure's
 * rules, against the provider's published list of secret data actions.
 */
import { installMocks } from "../../cli/synth/mockRuntime";
import { mockGuid } from "../../cli/synth/computed/azure";
import { ACTION_GROUP, CI_PRINCIPAL, ISSUER, SUBNET, one, ofType, prodSettings, prop } from "./helpers";

/* eslint-disable @typescript-eslint/no-require-imports -- components load only after the mocks are installed */
const session = installMocks({ project: "airflow-secrets", stack: "prod" });
import type * as Environment from "../../components/environment";
const { AirflowSecretsEnvironment } = require("../../components/environment") as typeof Environment;

const ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const DEFINITION = "azure-native:authorization:RoleDefinition";
const DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting";
const SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6";
const BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
const BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const builtIn = (guid: string) =>
  `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

/** Microsoft.KeyVault's secret data actions as Azure documents them (resource provider operations). */
const SECRET_DATA_ACTIONS = [
  "Microsoft.KeyVault/vaults/secrets/getSecret/action",
  "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  "Microsoft.KeyVault/vaults/secrets/setSecret/action",
  "Microsoft.KeyVault/vaults/secrets/update/action",
  "Microsoft.KeyVault/vaults/secrets/delete",
  "Microsoft.KeyVault/vaults/secrets/recover/action",
  "Microsoft.KeyVault/vaults/secrets/backup/action",
  "Microsoft.KeyVault/vaults/secrets/restore/action",
  "Microsoft.KeyVault/vaults/secrets/purge/action",
];
/** The built-in Key Vault Secrets User role as Azure publishes it. */
const SECRETS_USER_PUBLISHED = {
  actions: [] as string[],
  dataActions: [
    "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  ],
};

/** Azure matching: case-insensitive; `*` stands for any characters. */
function matches(pattern: string, action: string): boolean {
  const escaped = pattern
    .toLowerCase()
    .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`).test(action.toLowerCase());
}

interface Permission {
  actions?: string[];
  notActions?: string[];
  dataActions?: string[];
  notDataActions?: string[];
}

function grantedDataActions(permissions: Permission[]): string[] {
  return SECRET_DATA_ACTIONS.filter((action) =>
    permissions.some(
      (p) =>
        (p.dataActions ?? []).some((d) => matches(d, action)) &&
        !(p.notDataActions ?? []).some((d) => matches(d, action)),
    ),
  );
}

const declarations = {
  connections: [
    {
      conn_id: "warehouse",
      conn_type: "postgres",
      host: "pg.internal",
      login: "airflow",
      password: "pw",
      rotation: { strategy: "alternating-users" as const, everyDays: 30, masterConnId: "warehouse_admin" },
    },
    {
      conn_id: "warehouse_admin",
      conn_type: "postgres",
      host: "pg.internal",
      login: "postgres",
      password: "admin-pw",
    },
    { conn_id: "slack", conn_type: "http", host: "hooks.slack.com" },
  ],
};

beforeAll(async () => {
  AirflowSecretsEnvironment.fromConfig("prod", {
    environment: "prod",
    backend: "azure",
    backendSettings: prodSettings(),
    declarations,
    airflow: { version: "2.10" },
    kubernetes: { namespace: "airflow-prod", serviceAccount: "airflow-worker" },
  });
  await session.settle();
});

/** The mock runtime gives every custom resource the id `{name}-id`. */
const idOf = (type: string, name?: string) => `${one(session.resources, type, name).name}-id`;
const vaultId = () => idOf("azure-native:keyvault:Vault");
/** The recorded resource an id belongs to. */
const byId = (id: string) => session.resources.find((r) => `${r.name}-id` === id);
const airflowIdentity = () =>
  one(session.resources, "azure-native:managedidentity:UserAssignedIdentity", "prod-azure-access-airflow");
const airflowPrincipal = () => {
  return mockGuid(`principal:${prop(airflowIdentity(), "resourceName")}`);
};

describe("Airflow's identity", () => {
  test("is federated with exactly the Airflow service account of the cluster", () => {
    const fic = one(session.resources, "azure-native:managedidentity:FederatedIdentityCredential");
    expect(prop(fic, "issuer")).toBe(ISSUER);
    expect(prop(fic, "subject")).toBe("system:serviceaccount:airflow-prod:airflow-worker");
    expect(prop(fic, "audiences")).toEqual(["api://AzureADTokenExchange"]);
    expect(prop(fic, "resourceName")).toBe(prop(airflowIdentity(), "resourceName"));
  });

  test("holds one role: Key Vault Secrets User, on this vault only", () => {
    const grants = ofType(session.resources, ASSIGNMENT).filter(
      (r) => prop(r, "principalId") === airflowPrincipal(),
    );
    expect(grants).toHaveLength(1);
    expect(prop(grants[0], "roleDefinitionId")).toBe(
      `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${SECRETS_USER}`,
    );
    expect(prop(grants[0], "scope")).toBe(vaultId());
    expect(prop(grants[0], "principalType")).toBe("ServicePrincipal");
  });

  test("that role reads and never writes", () => {
    const granted = grantedDataActions([SECRETS_USER_PUBLISHED]);
    expect(granted).toEqual([
      "Microsoft.KeyVault/vaults/secrets/getSecret/action",
      "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    ]);
    expect(SECRETS_USER_PUBLISHED.actions).toEqual([]);
  });

  test("the service account carries the client id, tenant id and the use label", () => {
    const sa = one(session.resources, "kubernetes:core/v1:ServiceAccount");
    const metadata = prop(sa, "metadata") as {
      annotations: Record<string, string>;
      labels: Record<string, string>;
    };
    expect(metadata.annotations).toEqual({
      "azure.workload.identity/client-id": mockGuid(`client:${prop(airflowIdentity(), "resourceName")}`),
      "azure.workload.identity/tenant-id": "11111111-1111-1111-1111-111111111111",
    });
    expect(metadata.labels["azure.workload.identity/use"]).toBe("true");
  });
});

describe("CI writer", () => {
  const writerRole = () => one(session.resources, DEFINITION, "prod-azure-access-ci-writer-role");

  test("writes, updates, deletes and lists secrets but cannot get a value (wildcards included)", () => {
    const permissions = prop(writerRole(), "permissions") as Permission[];
    const granted = grantedDataActions(permissions);
    expect(granted).not.toContain("Microsoft.KeyVault/vaults/secrets/getSecret/action");
    expect(granted).toEqual(
      expect.arrayContaining([
        "Microsoft.KeyVault/vaults/secrets/setSecret/action",
        "Microsoft.KeyVault/vaults/secrets/update/action",
        "Microsoft.KeyVault/vaults/secrets/delete",
        "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
      ]),
    );
    // Backup would let the value be restored into a vault the principal can read.
    expect(granted).not.toContain("Microsoft.KeyVault/vaults/secrets/backup/action");
    // The matcher does see through wildcards: `secrets/*` would have granted getSecret.
    expect(grantedDataActions([{ dataActions: ["Microsoft.KeyVault/vaults/secrets/*"] }])).toContain(
      "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    );
    expect(grantedDataActions([{ dataActions: ["microsoft.keyvault/*"] }])).toContain(
      "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    );
  });

  test("is assignable in the vault's group only and assigned on the vault only, to the configured principal", () => {
    const group = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-airflow-prod";
    expect(prop(writerRole(), "assignableScopes")).toEqual([group]);
    expect(prop(writerRole(), "roleName")).toBe(
      `Airflow secrets writer (${prop(one(session.resources, "azure-native:keyvault:Vault"), "vaultName")})`,
    );
    const assignment = one(session.resources, ASSIGNMENT, "prod-azure-access-ci-writer");
    expect(prop(assignment, "principalId")).toBe(CI_PRINCIPAL);
    expect(prop(assignment, "scope")).toBe(vaultId());
    expect(prop(assignment, "roleDefinitionId")).toBe(`${writerRole().name}-id`);
  });
});

describe("rotator", () => {
  test("gets and sets only the rotated secret, and only reads the master", () => {
    const role = one(session.resources, DEFINITION, "prod-azure-access-rotator-role");
    expect(grantedDataActions(prop(role, "permissions") as Permission[]).sort()).toEqual(
      [
        "Microsoft.KeyVault/vaults/secrets/getSecret/action",
        "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        "Microsoft.KeyVault/vaults/secrets/setSecret/action",
      ].sort(),
    );
    const rotatorPrincipal = mockGuid("principal:id-airflow-rotator-prod");
    const grants = ofType(session.resources, ASSIGNMENT).filter(
      (r) => prop(r, "principalId") === rotatorPrincipal,
    );
    const secretsUser = `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${SECRETS_USER}`;
    const scopes = grants.map((g) => {
      const scope = byId(prop(g, "scope") as string)!;
      return [
        scope.type,
        prop(scope, "secretName") ?? prop(scope, "accountName"),
        prop(g, "roleDefinitionId") === `${role.name}-id` ? "rotator" : prop(g, "roleDefinitionId"),
      ];
    });
    expect(scopes.sort()).toEqual(
      [
        ["azure-native:keyvault:Secret", "airflow-prod-connections-warehouse", "rotator"],
        ["azure-native:keyvault:Secret", "airflow-prod-connections-warehouse-admin", secretsUser],
        // The Functions host's own storage (and the journals in it), not the vault.
        [
          "azure-native:storage:StorageAccount",
          prop(one(session.resources, "azure-native:storage:StorageAccount"), "accountName"),
          builtIn(BLOB_DATA_OWNER),
        ],
      ].sort(),
    );
    // Nothing on the secrets that do not rotate (the master is read only, above).
    const rotatorScopes = new Set(grants.map((g) => prop(g, "scope")));
    const others = ofType(session.resources, "azure-native:keyvault:Secret").filter(
      (s) =>
        !["airflow-prod-connections-warehouse", "airflow-prod-connections-warehouse-admin"].includes(
          prop(s, "secretName") as string,
        ),
    );
    expect(others.length).toBeGreaterThan(0);
    for (const secret of others) expect(rotatorScopes.has(`${secret.name}-id`)).toBe(false);
    // Every secret grant is on one secret of this vault.
    for (const grant of grants.filter(
      (g) => byId(prop(g, "scope") as string)!.type === "azure-native:keyvault:Secret",
    )) {
      expect(prop(byId(prop(grant, "scope") as string)!, "vaultName")).toBe(
        prop(one(session.resources, "azure-native:keyvault:Vault"), "vaultName"),
      );
    }
  });

  test("Event Grid delivers NearExpiry (and Expired) for the rotated secret only, to the function", () => {
    const subscription = one(session.resources, "azure-native:eventgrid:SystemTopicEventSubscription");
    const filter = prop(subscription, "filter") as {
      includedEventTypes: string[];
      advancedFilters: Array<{ operatorType: string; key: string; values: string[] }>;
    };
    expect(filter.includedEventTypes).toContain("Microsoft.KeyVault.SecretNearExpiry");
    expect(filter.advancedFilters).toEqual([
      { operatorType: "StringIn", key: "subject", values: ["airflow-prod-connections-warehouse"] },
    ]);
    const destination = prop(subscription, "destination") as { endpointType: string; resourceId: string };
    expect(destination).toMatchObject({ endpointType: "AzureFunction", maxEventsPerBatch: 1 });
    expect(destination.resourceId).toBe(`${idOf("azure-native:web:WebApp")}/functions/RotateSecret`);
    const topic = one(session.resources, "azure-native:eventgrid:SystemTopic");
    expect(prop(topic, "source")).toBe(vaultId());
    expect(prop(topic, "topicType")).toBe("Microsoft.KeyVault.vaults");
  });

  test("the function runs on one premium instance in the VNet, from a package read with its identity", () => {
    const app = one(session.resources, "azure-native:web:WebApp");
    expect(prop(app, "virtualNetworkSubnetId")).toBe(SUBNET);
    const siteConfig = prop(app, "siteConfig") as {
      functionAppScaleLimit: number;
      appSettings: Array<{ name: string; value: string }>;
    };
    expect(siteConfig.functionAppScaleLimit).toBe(1);
    const settings = Object.fromEntries(siteConfig.appSettings.map((s) => [s.name, s.value]));
    expect(settings.WEBSITE_RUN_FROM_PACKAGE).toMatch(
      /^https:\/\/stafrotprod[0-9a-f]{6}\.blob\.core\.windows\.net\/rotator-packages\/rotator-[0-9a-f]{16}\.zip$/,
    );
    expect(JSON.parse(settings.AIRFLOW_ROTATION_CONFIG)).toEqual({
      vaultUrl: expect.stringMatching(/^https:\/\/kv-airflow-prod-[0-9a-f]{5}\.vault\.azure\.net\/$/),
      tokenResource: "https://vault.azure.net",
      secrets: {
        "airflow-prod-connections-warehouse": {
          strategy: "alternating-users",
          everyDays: 30,
          journalName: "airflow-prod-connections-warehouse.json",
          master: "airflow-prod-connections-warehouse-admin",
        },
      },
      // The rotation core's default policy: no character a connection URI or shell would mangle.
      password: { length: 32, excludeCharacters: "\"'\\/@`" },
      // Journals: blobs of the function's own storage account.
      journals: {
        containerUrl: `https://${prop(one(session.resources, "azure-native:storage:StorageAccount"), "accountName")}.blob.core.windows.net/rotation-journals`,
      },
    });
    expect(prop(one(session.resources, "azure-native:web:AppServicePlan"), "sku")).toEqual({
      name: "EP1",
      tier: "ElasticPremium",
    });
    expect(prop(one(session.resources, "azure-native:storage:StorageAccount"), "allowSharedKeyAccess")).toBe(
      false,
    );
  });
});

describe("the rotator's journals", () => {
  const account = () => one(session.resources, "azure-native:storage:StorageAccount");
  const accountId = () => `${account().name}-id`;
  /** The journal container's ARM id: what an assignment must cover to reach a journal. */
  const journalScope = () => `${accountId()}/blobServices/default/containers/rotation-journals`;
  /** Azure RBAC: an assignment applies at its scope and at every scope beneath it. */
  const covers = (scope: string, target: string) =>
    target.toLowerCase() === scope.toLowerCase() ||
    target.toLowerCase().startsWith(`${scope.toLowerCase()}/`);
  const rotatorPrincipal = mockGuid("principal:id-airflow-rotator-prod");

  test("live in a private container of the rotator's storage, whose deleted blobs stay 90 days and cannot be purged", () => {
    const container = one(
      session.resources,
      "azure-native:storage:BlobContainer",
      "prod-azure-rotation-journals",
    );
    expect(prop(container, "containerName")).toBe("rotation-journals");
    expect(prop(container, "publicAccess")).toBe("None");
    expect(prop(container, "accountName")).toBe(prop(account(), "accountName"));
    const service = one(session.resources, "azure-native:storage:BlobServiceProperties");
    expect(prop(service, "accountName")).toBe(prop(account(), "accountName"));
    expect(prop(service, "deleteRetentionPolicy")).toEqual({
      enabled: true,
      days: 90,
      allowPermanentDelete: false,
    });
    expect(prop(service, "containerDeleteRetentionPolicy")).toEqual({ enabled: true, days: 90 });
    // Entra identities only: no account key or SAS opens the container.
    expect(prop(account(), "allowSharedKeyAccess")).toBe(false);
    expect(prop(account(), "allowBlobPublicAccess")).toBe(false);
  });

  test("only the rotator's identity holds a role that reaches them: not Airflow, not CI, not Event Grid", () => {
    const assignments = ofType(session.resources, ASSIGNMENT);
    expect(assignments.length).toBeGreaterThan(4);
    const reaching = assignments.filter((a) => covers(prop(a, "scope") as string, journalScope()));
    expect(reaching.map((a) => [prop(a, "principalId"), prop(a, "roleDefinitionId")])).toEqual([
      [rotatorPrincipal, builtIn(BLOB_DATA_OWNER)],
    ]);
    // Airflow and the CI writer hold nothing anywhere on the rotator's storage account.
    for (const principal of [airflowPrincipal(), CI_PRINCIPAL]) {
      const own = assignments.filter((a) => prop(a, "principalId") === principal);
      expect(own.length).toBeGreaterThan(0);
      for (const a of own) {
        const scope = prop(a, "scope") as string;
        expect([scope, covers(scope, accountId()) || covers(accountId(), scope)]).toEqual([scope, false]);
      }
    }
    // Event Grid writes undeliverable events to its own container only.
    const deadLetters = assignments.filter(
      (a) => prop(a, "roleDefinitionId") === builtIn(BLOB_DATA_CONTRIBUTOR),
    );
    expect(deadLetters.map((a) => prop(a, "scope"))).toEqual([
      `${accountId()}/blobServices/default/containers/rotation-dead-letters`,
    ]);
    // No assignment of the stack sits at a group or subscription, whence it would reach the journals
    // (and every secret) by inheritance.
    for (const a of assignments)
      expect(prop(a, "scope")).not.toMatch(/^\/subscriptions\/[^/]+(\/resourceGroups\/[^/]+)?\/?$/i);
  });

  test("every read, write and delete of a journal is audited in the vault's workspace", () => {
    const setting = one(session.resources, DIAGNOSTIC_SETTING, "prod-azure-diagnostics-journal-audit");
    expect(prop(setting, "resourceUri")).toBe(`${accountId()}/blobServices/default`);
    expect(prop(setting, "logs")).toEqual([
      { category: "StorageRead", enabled: true },
      { category: "StorageWrite", enabled: true },
      { category: "StorageDelete", enabled: true },
    ]);
    expect(prop(setting, "workspaceId")).toBe(
      prop(one(session.resources, DIAGNOSTIC_SETTING, "prod-azure-diagnostics-audit"), "workspaceId"),
    );
  });

  test("the vault Airflow reads holds no journal: a rotated connection is its secret and the rotator's assignment on it", () => {
    const secrets = ofType(session.resources, "azure-native:keyvault:Secret");
    expect(secrets.length).toBeGreaterThan(0);
    expect(secrets.filter((s) => String(prop(s, "secretName")).endsWith("-rotation-pending"))).toEqual([]);
    const rotated = one(
      session.resources,
      "azure-native:keyvault:Secret",
      "prod-azure-secrets-airflow-prod-connections-warehouse",
    );
    const onIt = ofType(session.resources, ASSIGNMENT).filter(
      (a) => prop(a, "scope") === `${rotated.name}-id`,
    );
    expect(onIt.map((a) => prop(a, "principalId"))).toEqual([rotatorPrincipal]);
  });
});

test("in a sovereign cloud the rotator asks for a token of that cloud's Key Vault audience", () => {
  const { rotationConfig } =
    require("../../components/azure/rotation") as typeof import("../../components/azure/rotation");
  const of = (url: string) =>
    rotationConfig(
      { vault: { id: "", name: "kv", url }, secrets: [] },
      { containerUrl: "https://st.blob.core.windows.net/rotation-journals" },
    );
  expect(of("https://kv-airflow-prod-1a2b3.vault.azure.cn/").tokenResource).toBe("https://vault.azure.cn");
  expect(of("https://kv-x.vault.usgovcloudapi.net/").tokenResource).toBe("https://vault.usgovcloudapi.net");
});

describe("diagnostics", () => {
  test("the vault's audit events and metrics go to a workspace kept a year in production", () => {
    const setting = one(session.resources, DIAGNOSTIC_SETTING, "prod-azure-diagnostics-audit");
    const workspace = one(session.resources, "azure-native:operationalinsights:Workspace");
    expect(prop(setting, "resourceUri")).toBe(vaultId());
    expect(prop(setting, "logs")).toEqual([{ categoryGroup: "audit", enabled: true }]);
    expect(prop(setting, "metrics")).toEqual([{ category: "AllMetrics", enabled: true }]);
    expect(prop(setting, "workspaceId")).toBe(`${workspace.name}-id`);
    expect(prop(workspace, "retentionInDays")).toBe(365);
  });

  test("failed secret reads of this vault page the configured action group", () => {
    const rule = one(session.resources, "azure-native:monitor:ScheduledQueryRule");
    const condition = (
      prop(rule, "criteria") as { allOf: Array<{ query: string; operator: string; threshold: number }> }
    ).allOf[0];
    expect(condition.query).toContain(
      'ResourceProvider == "MICROSOFT.KEYVAULT" and OperationName == "SecretGet" and httpStatusCode_d >= 400',
    );
    expect(condition.query).toContain(`_ResourceId =~ "${vaultId()}"`);
    expect([condition.operator, condition.threshold]).toEqual(["GreaterThan", 0]);
    expect(prop(rule, "actions")).toEqual({ actionGroups: [ACTION_GROUP] });
    // The workspace is new: AzureDiagnostics does not exist until the first audit event, and Azure's
    // query validation at creation would refuse the rule.
    expect(prop(rule, "skipQueryValidation")).toBe(true);
    expect(prop(rule, "scopes")).toEqual([
      prop(one(session.resources, DIAGNOSTIC_SETTING, "prod-azure-diagnostics-audit"), "workspaceId"),
    ]);
  });
});
