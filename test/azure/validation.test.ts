/**
 * Bad settings fail with the field path and the rule, all at once, before any resource (not even
 * the environment component) is registered.
 */
import { installMocks } from "../../cli/synth/mockRuntime";
import { ACTION_GROUP, ISSUER, SUBNET, devSettings, prodSettings } from "./helpers";
import { MARKER, WRONG_VALUES, fieldPaths, withValue } from "../stackFiles/generated";

/* eslint-disable @typescript-eslint/no-require-imports -- components load only after the mocks are installed */
const session = installMocks({ project: "airflow-secrets", stack: "dev" });
import type * as Environment from "../../components/environment";
import type * as Azure from "../../components/azure";
import type * as Airflow from "../../components/airflow";
import type * as Backend from "../../components/backend";
import type * as AzureNaming from "../../components/azure/naming";
import type * as AzureExpiry from "../../components/azure/expiry";
import type * as AzureSettings from "../../components/azure/settings";
const { AirflowSecretsEnvironment } = require("../../components/environment") as typeof Environment;
const azure = {
  ...(require("../../components/azure") as typeof Azure),
  ...(require("../../components/azure/naming") as typeof AzureNaming),
  ...(require("../../components/azure/expiry") as typeof AzureExpiry),
  ...(require("../../components/azure/settings") as typeof AzureSettings),
};
const { Problems, ValidationError } = require("../../components/airflow") as typeof Airflow;
const { prepareBackend } = require("../../components/backend") as typeof Backend;

const connections = [{ conn_id: "warehouse", conn_type: "postgres", host: "db", login: "u", password: "p" }];

function problemsOf(
  settings: Record<string, unknown>,
  environment = "prod",
): Array<{ path: string; rule: string }> {
  try {
    AirflowSecretsEnvironment.fromConfig(environment, {
      environment,
      backend: "azure",
      backendSettings: settings,
      declarations: { connections },
      airflow: { version: "2.10" },
      kubernetes: { namespace: "airflow", serviceAccount: "airflow" },
      fernet: { generations: ["g1"] },
    });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return [...error.problems];
  }
  throw new Error("expected a ValidationError");
}

/**
 * The backend's parse → plan → resolve, pure (nothing registered): what the environment runs before
 * it builds anything.
 */
function resolveAzure(
  settings: unknown,
  options: { environment?: string; production?: boolean; owner?: string } = {},
) {
  const environment = options.environment ?? "prod";
  const problems = new Problems();
  const resolved = prepareBackend(
    azure.azureBackend,
    {
      environment,
      production: options.production ?? environment === "prod",
      owner: options.owner,
      declarations: { connections },
      airflow: { version: "2.10" },
      kubernetes: { namespace: "airflow", serviceAccount: "airflow" },
      now: new Date(),
    },
    settings,
    problems,
  );
  return { resolved, problems: [...problems.list] };
}

afterEach(async () => {
  await session.settle();
  expect(session.resources).toEqual([]);
});

describe("vault name", () => {
  test.each([
    ["ab", "too short"],
    ["kv-airflow-production-westeu", "too long (28)"],
    ["kv_airflow", "underscore"],
    ["1kv-airflow", "starts with a digit"],
    ["kv--airflow", "double dash"],
    ["kv-airflow-", "ends with a dash"],
    ["kv.airflow", "dot"],
  ])("%s is refused (%s)", (name) => {
    const problems = problemsOf(
      prodSettings({ vault: { name, allowedIpRanges: ["203.0.113.0/24"], subnetIds: [SUBNET] } }),
    );
    expect(problems).toEqual([
      {
        path: "azure.vault.name",
        rule: "Key Vault names are 3-24 letters, digits and -, start with a letter, end with a letter or digit and contain no --",
      },
    ]);
  });

  test("3 and 24 characters are fine, and the default name always fits", () => {
    for (const name of ["kv1", "kv-airflow-prod-westeu-1"]) {
      const p = new Problems();
      expect(azure.checkVaultName(name, "name", p)).toBe(true);
    }
    for (const env of ["prod", "staging", "a-very-long-env-name", "x", "dev-"]) {
      const name = azure.defaultVaultName(env, ["proj", "stack", "rg"]);
      const p = new Problems();
      expect(azure.checkVaultName(name, "name", p)).toBe(true);
      expect(name.length).toBeLessThanOrEqual(24);
    }
    expect(azure.defaultVaultName("prod", ["a"])).not.toBe(azure.defaultVaultName("prod", ["b"]));
    expect(azure.defaultVaultName("prod", ["a"])).toBe(azure.defaultVaultName("prod", ["a"]));
  });

  test("an existing vault id is parsed, and a malformed one is refused", () => {
    expect(
      problemsOf(
        prodSettings({
          vault: {
            existing: {
              id: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/kv",
            },
          },
        }),
      ),
    ).toContainEqual(
      expect.objectContaining({
        path: "azure.vault.existing.id",
        rule: expect.stringContaining("must be the resource id of a Microsoft.KeyVault/vaults resource"),
      }),
    );
    expect(
      problemsOf(
        prodSettings({
          vault: {
            existing: {
              id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-shared-prod",
            },
            sku: "premium",
          },
        }),
      ),
    ).toContainEqual(
      expect.objectContaining({
        path: "azure.vault.sku",
        rule: expect.stringContaining("azure.vault.existing brings your own"),
      }),
    );
  });

  test("an existing vault is used as it is: its name, group and URL, nothing on it configured", () => {
    const id = "/subscriptions/s/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-shared-prod";
    const { resolved, problems } = resolveAzure(prodSettings({ vault: { existing: { id } } }));
    expect(problems).toEqual([]);
    expect(resolved!.settings.vault).toMatchObject({
      name: "kv-shared-prod",
      resourceGroupName: "rg-kv",
      url: "https://kv-shared-prod.vault.azure.net/",
    });
    expect(resolved!.plan.airflowConfig.backendKwargs?.vault_url).toBe(resolved!.settings.vault.url);
  });

  test("the keys of an earlier release are reported as renamed, with the new path", () => {
    const id = "/subscriptions/s/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-shared-prod";
    const workspaceId =
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log-shared";
    expect(
      problemsOf(
        prodSettings({
          vault: { existingId: id },
          diagnostics: { actionGroupId: ACTION_GROUP, workspaceId },
        }),
      ),
    ).toEqual([
      { path: "azure.vault.existingId", rule: "was renamed: write azure.vault.existing.id instead" },
      {
        path: "azure.diagnostics.workspaceId",
        rule: "was renamed: write azure.diagnostics.existing.workspaceId instead",
      },
    ]);
  });
});

describe("expiry", () => {
  test("a fixed date in the past is refused with today's date in the message", () => {
    const problems = problemsOf(prodSettings({ secretExpiresOn: "2020-01-31" }));
    expect(problems).toEqual([
      {
        path: "azure.secretExpiresOn",
        rule: expect.stringMatching(/^2020-01-31 is in the past \(today is \d{4}-\d{2}-\d{2} UTC\)/),
      },
    ]);
  });

  test("impossible dates, too-short and fractional day counts, and both settings at once are refused", () => {
    expect(problemsOf(prodSettings({ secretExpiresOn: "2031-02-30" }))).toEqual([
      { path: "azure.secretExpiresOn", rule: 'must be a date written YYYY-MM-DD (got "2031-02-30")' },
    ]);
    expect(problemsOf(prodSettings({ secretExpiryDays: 30 })).map((p) => p.path)).toEqual([
      "azure.secretExpiryDays",
    ]);
    expect(problemsOf(prodSettings({ secretExpiryDays: 100.5 })).map((p) => p.path)).toEqual([
      "azure.secretExpiryDays",
    ]);
    expect(
      problemsOf(prodSettings({ secretExpiryDays: 365, secretExpiresOn: "2031-01-01" })).map((p) => p.path),
    ).toEqual(["azure.secretExpiresOn"]);
  });

  test("the stable default never lands in the past, whatever the day of the quarter", () => {
    for (const day of ["2026-01-01", "2026-03-31", "2026-06-30", "2026-12-31T23:59:59Z"]) {
      const now = new Date(day);
      expect(azure.staticExpiry({ days: azure.MIN_EXPIRY_DAYS }, now) * 1000).toBeGreaterThan(now.getTime());
      // Same quarter, same answer: no diff between two previews.
      expect(azure.staticExpiry({ days: 365 }, now)).toBe(
        azure.staticExpiry({ days: 365 }, azure.quarterStart(now)),
      );
    }
  });
});

describe("diagnostics", () => {
  test.each([
    [29, "must be at least 30"],
    [731, "must be at most 730"],
  ])("retention %p days is out of range", (retentionDays, rule) => {
    expect(problemsOf(prodSettings({ diagnostics: { actionGroupId: ACTION_GROUP, retentionDays } }))).toEqual(
      [
        {
          path: "azure.diagnostics.retentionDays",
          rule,
        },
      ],
    );
  });

  // The salvage keeps the input on its re-parse, so a wrong type is not read as a missing field (which
  // would drop the whole `diagnostics` map and report its action group as missing too).
  test("a fractional retention is refused alone, at its own path", () => {
    expect(
      problemsOf(prodSettings({ diagnostics: { actionGroupId: ACTION_GROUP, retentionDays: 90.5 } })),
    ).toEqual([
      { path: "azure.diagnostics.retentionDays", rule: expect.stringMatching(/^must be a whole number/) },
    ]);
  });

  test("production needs an action group; a workspace of your own takes no retention", () => {
    expect(problemsOf(prodSettings({ diagnostics: {} })).map((p) => p.path)).toEqual([
      "azure.diagnostics.actionGroupId",
    ]);
    const workspaceId =
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log-shared";
    expect(
      problemsOf(
        prodSettings({
          diagnostics: { actionGroupId: ACTION_GROUP, existing: { workspaceId }, retentionDays: 60 },
        }),
      ).map((p) => p.path),
    ).toEqual(["azure.diagnostics.retentionDays"]);
  });
});

describe("network and identity", () => {
  test("every problem is reported in one error", () => {
    const problems = problemsOf({
      location: "West Europe",
      resourceGroupName: "rg.",
      aksOidcIssuerUrl: "http://issuer.example.com/",
      vault: {
        name: "kv",
        allowedIpRanges: ["203.0.113.1/32", "2001:db8::/32", "300.1.1.1"],
        publicNetworkAcess: "Enabled",
      },
      diagnostics: { actionGroupId: "ag-oncall" },
      ciWriterPrincipalId: "not-a-guid",
    });
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        "azure.location",
        "azure.resourceGroupName",
        "azure.aksOidcIssuerUrl",
        "azure.ciWriterPrincipalId",
        "azure.vault.publicNetworkAcess",
        "azure.vault.name",
        "azure.vault.allowedIpRanges[0]",
        "azure.vault.allowedIpRanges[1]",
        "azure.vault.allowedIpRanges[2]",
        "azure.diagnostics.actionGroupId",
      ].sort(),
    );
    expect(problems.find((p) => p.path === "azure.vault.allowedIpRanges[0]")!.rule).toContain(
      "refuses /31 and /32",
    );
    expect(problems.find((p) => p.path === "azure.aksOidcIssuerUrl")!.rule).toContain(
      "https OIDC issuer URL",
    );
  });

  test("bad settings and bad declarations are reported together", () => {
    let error: unknown;
    try {
      AirflowSecretsEnvironment.fromConfig("prod", {
        environment: "prod",
        backend: "azure",
        backendSettings: { ...prodSettings(), location: "" },
        declarations: { connections: [{ conn_id: "a b", conn_type: "http" }] },
        airflow: { version: "2.10" },
        kubernetes: { namespace: "airflow", serviceAccount: "airflow" },
      });
    } catch (e) {
      error = e;
    }
    expect((error as InstanceType<typeof ValidationError>).problems.map((p) => p.path)).toEqual([
      "azure.location",
      "connections[a b].conn_id",
    ]);
  });

  test("a firewall that lets nothing in, or rules that could never apply, are refused", () => {
    expect(
      problemsOf(prodSettings({ vault: { publicNetworkAccess: "Enabled" }, rotation: {} })),
    ).toContainEqual(
      expect.objectContaining({
        path: "azure.vault.networkDefaultAction",
        rule: expect.stringContaining("nothing could reach the vault"),
      }),
    );
    expect(
      problemsOf(
        prodSettings({ vault: { publicNetworkAccess: "Disabled", allowedIpRanges: ["203.0.113.7"] } }),
      ),
    ).toContainEqual(expect.objectContaining({ path: "azure.vault.publicNetworkAccess" }));
  });

  test("private (RFC 1918) addresses are refused in the IP rules, which take public ones only", () => {
    const problems = problemsOf(
      prodSettings({
        vault: {
          allowedIpRanges: ["10.240.0.0/16", "172.20.1.5", "192.168.0.0/24", "172.32.0.0/16"],
          subnetIds: [SUBNET],
        },
      }),
    );
    expect(problems.map((p) => p.path)).toEqual([
      "azure.vault.allowedIpRanges[0]",
      "azure.vault.allowedIpRanges[1]",
      "azure.vault.allowedIpRanges[2]",
    ]);
    expect(problems[0].rule).toContain("public addresses only");
  });

  test("tags leave room for the store's own within Key Vault's 15 per secret", () => {
    const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, "x"]));
    // managed-by and airflow-secrets-environment are always added; no owner here: 2 + 10 + 3 = 15.
    const ok = resolveAzure(prodSettings({ tags: tags(10) }));
    expect(ok.problems).toEqual([]);
    expect(ok.resolved).toBeDefined();
    expect(problemsOf(prodSettings({ tags: tags(11) }))).toEqual([
      {
        path: "azure.tags",
        rule: expect.stringContaining("Key Vault takes at most 15 per secret: at most 12 here"),
      },
    ]);
    expect(problemsOf(prodSettings({ tags: { owner: "someone-else" } }))).toEqual([
      { path: "azure.tags.owner", rule: expect.stringContaining("is a tag this library sets") },
    ]);
  });

  test("rotating behind a closed vault needs VNet integration, listed in the vault's firewall", () => {
    const rotated = [{ ...connections[0], rotation: { strategy: "single-user", everyDays: 30 } }];
    const attempt = (settings: Record<string, unknown>) => {
      try {
        AirflowSecretsEnvironment.fromConfig("prod", {
          environment: "prod",
          backend: "azure",
          backendSettings: settings,
          declarations: { connections: rotated as Airflow.ConnectionDeclaration[] },
          airflow: { version: "2.10" },
          kubernetes: { namespace: "airflow", serviceAccount: "airflow" },
        });
      } catch (error) {
        return (error as InstanceType<typeof ValidationError>).problems.map((p) => p.path);
      }
      return [];
    };
    expect(attempt(prodSettings({ rotation: {} }))).toEqual(["azure.rotation.subnetId"]);
    expect(attempt(prodSettings({ vault: { allowedIpRanges: ["203.0.113.0/24"] } }))).toEqual([
      "azure.vault.subnetIds",
    ]);
    expect(attempt(prodSettings({ rotation: { subnetId: SUBNET, plan: "consumption" } }))).toEqual([
      "azure.rotation.plan",
    ]);
  });

  test("the components refuse bad arguments on their own too, registering nothing", () => {
    expect(
      () =>
        new azure.AirflowKeyVault("kv", {
          name: "x",
          resourceGroupName: "rg",
          location: "westeurope",
          tenantId: "t",
        }),
    ).toThrow(/AirflowKeyVault is invalid[\s\S]*name: Key Vault names are 3-24/);
    expect(
      () =>
        new azure.KeyVaultDiagnostics("diag", {
          environment: "dev",
          vault: { id: "id", name: "kv" },
          resourceGroupName: "rg",
          location: "westeurope",
          retentionDays: 1000,
        }),
    ).toThrow(/retentionDays: must be at most 730/);
    expect(
      () =>
        new azure.KeyVaultAccess("access", {
          environment: "dev",
          vault: { id: "id", name: "kv", resourceGroupName: "rg" },
          subscriptionId: "s",
          resourceGroupName: "rg",
          location: "westeurope",
          oidcIssuerUrl: ISSUER,
          namespace: "Airflow",
          serviceAccounts: ["airflow"],
        }),
    ).toThrow(/namespace: must be a Kubernetes namespace name/);
  });
});

test("a development stack needs no alerting; its vault has the same closed default as the component", async () => {
  const env = AirflowSecretsEnvironment.fromConfig("dev", {
    environment: "dev",
    backend: "azure",
    backendSettings: devSettings(),
    declarations: { connections },
    airflow: { version: "3.1" },
    kubernetes: { namespace: "airflow", serviceAccount: "airflow" },
  });
  // The AirflowKeyVault component on its own, with no network arguments either.
  new azure.AirflowKeyVault("direct", {
    name: "kv-direct-1",
    resourceGroupName: "rg-airflow-dev",
    location: "westeurope",
    tenantId: "t",
  });
  await session.settle();
  const vaults = session.resources.filter((r) => r.type === "azure-native:keyvault:Vault");
  expect(vaults).toHaveLength(2);
  for (const vault of vaults)
    expect(vault.inputs.properties).toMatchObject({
      publicNetworkAccess: "Disabled",
      networkAcls: { defaultAction: "Deny" },
      enablePurgeProtection: true,
    });
  expect(vaults.find((v) => v.name === "dev-azure-vault-vault")?.protect ?? false).toBe(false);
  expect(env.airflowConfig.env.AIRFLOW__WORKERS__SECRETS_BACKEND).toBe(
    "airflow.providers.microsoft.azure.secrets.key_vault.AzureKeyVaultBackend",
  );
  // This test registers on purpose; clear the record for the afterEach check.
  session.resources.length = 0;
});

test("firewall rules open the public endpoint with a Deny default, from a stack file and in the component alike", async () => {
  const resolved = resolveAzure(devSettings({ vault: { allowedIpRanges: ["203.0.113.0/24"] } }), {
    environment: "dev",
  }).resolved!.settings;
  expect(resolved.vault).toMatchObject({ publicNetworkAccess: "Enabled", networkDefaultAction: "Deny" });
  expect(azure.defaultVaultNetwork({ allowedIpRanges: ["203.0.113.0/24"] })).toEqual({
    publicNetworkAccess: resolved.vault.publicNetworkAccess,
    networkDefaultAction: resolved.vault.networkDefaultAction,
  });
  new azure.AirflowKeyVault("ruled", {
    name: "kv-ruled-1",
    resourceGroupName: "rg-airflow-dev",
    location: "westeurope",
    tenantId: "t",
    allowedIpRanges: ["203.0.113.0/24"],
  });
  await session.settle();
  const vault = session.resources.find((r) => r.type === "azure-native:keyvault:Vault")!;
  expect(vault.inputs.properties).toMatchObject({
    publicNetworkAccess: "Enabled",
    networkAcls: { defaultAction: "Deny" },
  });
  session.resources.length = 0;
});

test("a development vault is open to everyone only when its stack file says so", () => {
  const { resolved, problems } = resolveAzure(
    devSettings({ vault: { publicNetworkAccess: "Enabled", networkDefaultAction: "Allow" } }),
    { environment: "dev" },
  );
  expect(problems).toEqual([]);
  expect(resolved!.settings.vault).toMatchObject({
    publicNetworkAccess: "Enabled",
    networkDefaultAction: "Allow",
  });
});

describe("a production vault is never world-open", () => {
  test.each([["0.0.0.0/0"], ["0.0.0.0/1"], ["128.0.0.0/1"], ["64.0.0.0/7"]])("%s is refused", (range) => {
    expect(
      problemsOf(
        prodSettings({ vault: { allowedIpRanges: ["203.0.113.0/24", range], subnetIds: [SUBNET] } }),
      ),
    ).toEqual([{ path: "azure.vault.allowedIpRanges[1]", rule: expect.stringContaining("wider than /8") }]);
  });

  test("a wildcard is no address at all, in any environment", () => {
    for (const environment of ["prod", "dev"])
      expect(
        problemsOf(prodSettings({ vault: { allowedIpRanges: ["*"], subnetIds: [SUBNET] } }), environment),
      ).toContainEqual({
        path: "azure.vault.allowedIpRanges[0]",
        rule: expect.stringContaining("IPv4 address"),
      });
  });

  test("an Allow default with public access is refused", () => {
    expect(
      problemsOf(prodSettings({ vault: { publicNetworkAccess: "Enabled", networkDefaultAction: "Allow" } })),
    ).toEqual([
      { path: "azure.vault.networkDefaultAction", rule: expect.stringContaining("whole internet") },
    ]);
  });

  test("a /8 egress range is still allowed", () => {
    expect(
      problemsOf(
        prodSettings({
          vault: { allowedIpRanges: ["203.0.113.0/24"], subnetIds: [SUBNET] },
          tags: { x: "y" },
          secretExpiryDays: 1,
        }),
      ).map((p) => p.path),
    ).toEqual(["azure.secretExpiryDays"]);
    const { problems } = resolveAzure(
      prodSettings({ vault: { allowedIpRanges: ["11.0.0.0/8"], subnetIds: [SUBNET] } }),
    );
    expect(problems).toEqual([]);
  });
});

describe("the schema closes what used to pass silently", () => {
  test("misspelt nested keys are refused at their path, with the known keys", () => {
    const problems = problemsOf(
      prodSettings({
        diagnostics: { actionGroupId: ACTION_GROUP, retentionDay: 90 },
        rotation: { plann: "premium" },
      }),
    );
    expect(problems).toEqual([
      {
        path: "azure.diagnostics.retentionDay",
        rule: expect.stringContaining("known: existing, retentionDays"),
      },
      { path: "azure.rotation.plann", rule: expect.stringContaining("is not a known setting") },
    ]);
  });

  test("a block whose children are all commented out (YAML null) is an empty block", () => {
    const { resolved, problems } = resolveAzure(
      {
        location: "westeurope",
        resourceGroupName: "rg",
        aksOidcIssuerUrl: ISSUER,
        vault: { existing: null, allowedIpRanges: null, subnetIds: null },
        diagnostics: { existing: null },
        rotation: null,
        layout: null,
        tags: null,
      },
      { environment: "dev" },
    );
    expect(problems).toEqual([]);
    expect(resolved!.settings.vault.publicNetworkAccess).toBe("Disabled");
    expect(resolved!.settings.vault.existing).toBeUndefined();
    expect(resolved!.settings.diagnostics.workspaceId).toBeUndefined();
    for (const block of ["vault", "diagnostics", "rotation", "layout", "tags"])
      expect(
        resolveAzure(
          { location: "westeurope", resourceGroupName: "rg", aksOidcIssuerUrl: ISSUER, [block]: null },
          { environment: "dev" },
        ).problems,
      ).toEqual([]);
  });

  test("tags Azure would refuse are refused at synth", () => {
    const problems = problemsOf(
      prodSettings({
        tags: {
          "cost/center": "x",
          "azure-team": "x",
          "line\nbreak": "x",
          ok: "two\nlines",
          long: "v".repeat(257),
        },
      }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        "azure.tags.azure-team",
        "azure.tags.cost/center",
        "azure.tags.line\nbreak",
        "azure.tags.long",
        "azure.tags.ok",
      ].sort(),
    );
  });

  test("wrong types name the field and never quote the value", () => {
    const marker = "S3cr3t-marker-value";
    const problems = problemsOf(
      prodSettings({ tenantId: marker, ciWriterPrincipalId: 42, vault: [marker], secretExpiryDays: marker }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual(
      ["azure.ciWriterPrincipalId", "azure.secretExpiryDays", "azure.tenantId", "azure.vault"].sort(),
    );
    expect(JSON.stringify(problems)).not.toContain(marker);
  });
});

describe("every Azure setting × every wrong type (generated)", () => {
  const settings = prodSettings({
    tags: { team: "data" },
    ciWriterPrincipalId: "22222222-2222-4222-8222-222222222222",
  });
  const resolve = (raw: unknown) => resolveAzure(raw, { owner: "data" });
  const fields = fieldPaths(azure.settingsSchema);

  test("starts from settings that are valid", () => {
    expect(resolve(settings).problems).toEqual([]);
    expect(fields.length).toBeGreaterThan(25);
  });

  test("never throws, refuses at the field's own path, and never prints the value", () => {
    let refused = 0;
    for (const path of fields) {
      for (const [, value] of WRONG_VALUES) {
        const { resolved, problems } = resolve(withValue(settings, path, value));
        const field = `azure.${path.join(".")}`;
        expect(JSON.stringify(problems)).not.toContain(MARKER);
        if (problems.length === 0) {
          expect(resolved).toBeDefined();
          continue;
        }
        refused++;
        expect(resolved).toBeUndefined();
        const below = new RegExp(`^${field.replace(/[.[\]]/g, "\\$&")}($|[.[])`);
        // A wrong value may also break a rule of a sibling it governs (e.g. a vault that is Disabled with
        // firewall rules): at least one problem names the field itself.
        expect(problems.some((p) => below.test(p.path))).toBe(true);
      }
    }
    expect(refused).toBeGreaterThan(fields.length * 4);
  });
});
