/**
 * The Azure backend in the shape every backend has: `resolve` is pure and holds every rule (problems
 * with field paths, nothing registered, the same answer twice), and `AzureAirflowSecrets` builds
 * from what resolve decided without checking anything again.
 */
import { installMocks } from "../../cli/synth/mockRuntime";
import { ACTION_GROUP, SUBNET, one, prodSettings } from "./helpers";

/* eslint-disable @typescript-eslint/no-require-imports -- components load only after the mocks are installed */
const session = installMocks({ project: "airflow-secrets", stack: "prod" });
import type * as Azure from "../../components/azure";
import type * as AzureSettings from "../../components/azure/settings";
import type * as Airflow from "../../components/airflow";
import type * as Validate from "../../components/airflow/validate";
import type * as Backend from "../../components/backend";
const { AzureAirflowSecrets, azureBackend: backend } = require("../../components/azure") as typeof Azure;
const azureSettings = require("../../components/azure/settings") as typeof AzureSettings;
const { Problems, ValidationError } = require("../../components/airflow") as typeof Airflow;
const validate = require("../../components/airflow/validate") as typeof Validate;
const { prepareBackend, resolveBackendOrThrow } = require("../../components/backend") as typeof Backend;

const NOW = new Date("2026-11-15T10:00:00Z");
const declarations = {
  connections: [
    { conn_id: "warehouse", conn_type: "postgres", host: "db", login: "airflow", password: "pw" },
    {
      conn_id: "reporting",
      conn_type: "postgres",
      host: "db",
      login: "reporting",
      password: "pw2",
      rotation: { strategy: "single-user" as const, everyDays: 30 },
    },
  ],
  variables: [{ key: "alert_email", value: "oncall@example.com" }],
};
const context = {
  environment: "prod",
  production: true,
  owner: "data",
  declarations,
  airflow: { version: "2.10" },
  kubernetes: { namespace: "airflow", serviceAccount: "airflow" },
  now: NOW,
};

function resolve(settings: unknown) {
  const problems = new Problems();
  const resolved = prepareBackend(backend, context, settings, problems);
  return { resolved, problems: [...problems.list] };
}

/** The resolved value with the plan's Outputs replaced by what they name (Outputs never compare equal). */
function comparable(resolved: Azure.AzureResolved) {
  const { plan, ...rest } = resolved;
  return { ...rest, secretNames: plan.secrets.map((s) => s.name), airflowConfig: plan.airflowConfig };
}

afterEach(async () => {
  await session.settle();
  session.resources.length = 0;
});

describe("resolve", () => {
  test("is pure: the same input gives the same answer, and nothing is registered", async () => {
    const first = resolve(prodSettings());
    const second = resolve(prodSettings());
    expect(first.problems).toEqual([]);
    expect(first.resolved).toBeDefined();
    expect(comparable(first.resolved!)).toEqual(comparable(second.resolved!));
    await session.settle();
    expect(session.resources).toEqual([]);
  });

  test("decides every name and stamp from the context: vault URL in the plan, expiries from its clock", () => {
    const { resolved } = resolve(prodSettings());
    const { settings, plan, expires, names, rotated } = resolved!;
    expect(settings.vault.name).toMatch(/^kv-airflow-prod-[0-9a-f]{5}$/);
    expect(plan.airflowConfig.backendKwargs?.vault_url).toBe(settings.vault.url);
    // Non-rotated: 365 days after the start of the quarter (2026-10-01); rotated: a month's lead.
    expect(new Date(expires.secrets * 1000).toISOString()).toBe("2027-10-01T00:00:00.000Z");
    expect(expires.rotatedSecrets * 1000).toBeGreaterThan(NOW.getTime());
    expect(names.storageAccount).toMatch(/^stafrotprod[0-9a-f]{6}$/);
    expect(names.functionApp).toMatch(/^func-airflow-rotator-prod-[0-9a-f]{6}$/);
    expect(rotated.map((r) => r.name)).toEqual(["airflow-prod-connections-reporting"]);
    expect(settings.tags).toEqual({
      "managed-by": "airflow-secrets",
      "airflow-secrets-environment": "prod",
      owner: "data",
    });
  });

  test("reports settings, store and declaration problems together, each at its path, and returns nothing", async () => {
    const problems = new Problems();
    const resolved = prepareBackend(
      backend,
      {
        ...context,
        declarations: {
          connections: [
            ...declarations.connections,
            // 26 rotated connections in all: one more than Event Grid's filter takes.
            ...Array.from({ length: 25 }, (_, i) => ({
              ...declarations.connections[1],
              conn_id: `reporting_${i}`,
            })),
            { conn_id: "a b", conn_type: "http" },
          ],
        },
      },
      prodSettings({ diagnostics: {}, vault: { allowedIpRanges: ["0.0.0.0/0"], subnetIds: [SUBNET] } }),
      problems,
    );
    expect(resolved).toBeUndefined();
    expect(problems.list.map((p) => p.path).sort()).toEqual(
      [
        "azure.diagnostics.actionGroupId",
        "azure.vault.allowedIpRanges[0]",
        "connections[a b].conn_id",
        "connections",
      ].sort(),
    );
    await session.settle();
    expect(session.resources).toEqual([]);
  });
});

describe("AzureAirflowSecrets", () => {
  test("a TypeScript program resolves, then builds: bad settings throw before anything is registered", async () => {
    expect(() =>
      resolveBackendOrThrow(backend, context, { ...prodSettings(), location: "West Europe" } as never),
    ).toThrow(ValidationError);
    await session.settle();
    expect(session.resources).toEqual([]);

    const secrets = new AzureAirflowSecrets(
      "prod-azure",
      resolveBackendOrThrow(backend, context, prodSettings() as never),
    );
    await session.settle();
    const umbrella = one(session.resources, "airflow-secrets:azure:AzureAirflowSecrets");
    // Deployed stacks keep their resources: the type before the rename is an alias.
    expect(umbrella.aliases).toContainEqual(
      expect.objectContaining({ type: "airflow-secrets:azure:AirflowKeyVaultSecrets" }),
    );
    expect(Object.keys(secrets.store.secrets).sort()).toEqual([
      "airflow-prod-connections-reporting",
      "airflow-prod-connections-warehouse",
      "airflow-prod-variables-alert-email",
    ]);
    expect(secrets.deployment.airflowConfig).toBe(secrets.plan.airflowConfig);
    expect(Object.keys(secrets.deployment.outputs).sort()).toEqual([
      "airflowIdentityClientId",
      "airflowIdentityPrincipalId",
      "ciWriterRoleDefinitionId",
      "keyVaultId",
      "keyVaultName",
      "keyVaultSecretNames",
      "keyVaultUrl",
      "logAnalyticsWorkspaceId",
      "rotatorFunctionAppId",
    ]);
  });

  test("only outputs what exists: no CI writer, no rotation, no outputs for them", async () => {
    const { ciWriterPrincipalId: _, ...withoutWriter } = prodSettings();
    const secrets = new AzureAirflowSecrets(
      "plain",
      resolveBackendOrThrow(
        backend,
        { ...context, declarations: { connections: [declarations.connections[0]] } },
        withoutWriter as never,
      ),
    );
    expect(secrets.rotation).toBeUndefined();
    expect(secrets.deployment.outputs).not.toHaveProperty("rotatorFunctionAppId");
    expect(secrets.deployment.outputs).not.toHaveProperty("ciWriterRoleDefinitionId");
  });

  test("never validates: it builds what resolve decided, and checks neither settings nor declarations again", async () => {
    const { resolved } = resolve(prodSettings({ diagnostics: { actionGroupId: ACTION_GROUP } }));
    // Resolve would refuse a production vault with no alert routing; the component builds what it is given.
    const unchecked: Azure.AzureResolved = {
      ...resolved!,
      settings: {
        ...resolved!.settings,
        diagnostics: { ...resolved!.settings.diagnostics, actionGroupId: undefined },
      },
    };
    const settingsRules = jest.spyOn(azureSettings, "resolveAzureSettings");
    const declarationRules = jest.spyOn(validate, "validateDeclarations");
    try {
      expect(() => new AzureAirflowSecrets("unchecked", unchecked)).not.toThrow();
      await session.settle();
      expect(settingsRules).not.toHaveBeenCalled();
      expect(declarationRules).not.toHaveBeenCalled();
    } finally {
      settingsRules.mockRestore();
      declarationRules.mockRestore();
    }
    const alert = one(session.resources, "azure-native:monitor:ScheduledQueryRule");
    expect(alert.inputs.actions).toBeUndefined();
  });
});
