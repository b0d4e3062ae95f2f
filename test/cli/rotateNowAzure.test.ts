/**
 * `rotate-now` on Azure: the example Azure stack gives the vault and the names; the command brings the
 * current version into the near-expiry window and runs the real rotator handler with Key Vault's event
 * (as the Functions host would, after accepting the invocation) over the in-memory Key Vault and a real
 * PostgreSQL. Faults: the host refuses, the journal write fails, the database is down, and the final
 * write fails (the next rotate-now resumes from the journal).
 */
import * as path from "path";
import { handleKeyVaultEvent, type RotationOutcome } from "../../components/azure/rotator/handler";
import type { RotationConfig } from "../../components/azure/rotator/config";
import { DAY_MS } from "../../components/azure/rotator/schedule";
import { rotatorPasswordPolicy } from "../../components/rotation/config";
import type { AirflowConnectionJson } from "../../components/rotation/connection";
import type { AzureRotationClients, KeyVaultEvent } from "../../cli/incident/azure";
import { FakeJournalContainer, FakeKeyVault } from "../azure/fakeKeyVault";
import { connectionJson, type TestPostgres } from "../support/postgres";
import {
  afterTheCallReturns,
  logsIn as loginWorks,
  runRotateNowCapturing,
  startRotationDatabase,
  withDatabaseDown,
  withFault,
} from "./rotateNowHelpers";

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, "../..");
const STACK = "stacks/examples/Pulumi.prod-azure.yaml";
const VAULT_URL = "https://kv-airflow-prod-7dd9f.vault.azure.net/";
const WAREHOUSE = "airflow-prod-connections-warehouse";
const ADMIN = "airflow-prod-connections-warehouse-admin";
const MASTER = "test-rotation-master";

let pg: TestPostgres;
let vault: FakeKeyVault;
/** The rotator's `rotation-journals` container, where the deployed function keeps its journals. */
let journals: FakeJournalContainer;
let config: RotationConfig;
const events: KeyVaultEvent[] = [];
const outcomes: Array<RotationOutcome | Error> = [];
let deliveries: Promise<unknown>[] = [];
let hostRefuses = false;
let aroundDelivery: (deliver: () => Promise<RotationOutcome>) => Promise<RotationOutcome> = (deliver) =>
  deliver();

beforeAll(async () => {
  const { admin, warehouse, ...db } = await startRotationDatabase("ra");
  pg = db.pg;
  vault = new FakeKeyVault();
  journals = new FakeJournalContainer();
  const farOut = new Date(Date.now() + 90 * DAY_MS);
  await vault.setSecret(MASTER, JSON.stringify(connectionJson(pg, pg.superuser, pg.superPassword)));
  await vault.setSecret(ADMIN, JSON.stringify(connectionJson(pg, admin.login, admin.password)), {
    expiresOn: farOut,
  });
  await vault.setSecret(WAREHOUSE, JSON.stringify(connectionJson(pg, warehouse.login, warehouse.password)), {
    expiresOn: farOut,
  });
  config = {
    vaultUrl: VAULT_URL,
    password: rotatorPasswordPolicy({}),
    journals: { containerUrl: "http://127.0.0.1/rotation-journals" },
    secrets: {
      [ADMIN]: { strategy: "single-user", everyDays: 60, journalName: `${ADMIN}-rotation-pending` },
      [WAREHOUSE]: {
        strategy: "alternating-users",
        master: MASTER,
        everyDays: 30,
        journalName: `${WAREHOUSE}-rotation-pending`,
      },
    },
  };
});
afterAll(() => pg?.destroy());

const clients: AzureRotationClients = {
  keyVault: {
    getSecret: (name) => vault.getSecret(name),
    setSecret: (name, value, options) => vault.setSecret(name, value, options),
    updateExpiry: (name, version, expiresOn) => vault.updateExpiry(name, version, expiresOn),
  },
  async invokeRotator(event) {
    if (hostRefuses) throw new Error("the Functions host refused the invocation (HTTP 401)");
    events.push(event);
    // The admin endpoint answers 202 and runs the function afterwards.
    deliveries.push(
      afterTheCallReturns(() =>
        aroundDelivery(() => handleKeyVaultEvent(event, { client: vault, config, journals })),
      ).then(
        (outcome) => outcomes.push(outcome),
        (error: Error) => outcomes.push(error),
      ),
    );
  },
};

const latest = (name: string) => JSON.parse(vault.latest(name)!.value) as AirflowConnectionJson;
const logsIn = (json: AirflowConnectionJson) => loginWorks(pg, json);

/** Every password any version of the two secrets and their rotation journals ever held. */
function passwordsSeen(): string[] {
  const stored = [ADMIN, WAREHOUSE].flatMap((name) =>
    vault.history(name).map((v) => (JSON.parse(v.value) as AirflowConnectionJson).password),
  );
  const journaled = [ADMIN, WAREHOUSE].flatMap((name) =>
    journals
      .history(`${name}-rotation-pending`)
      .map((entry) => (entry.state === "pending" ? entry.pending.password : undefined)),
  );
  return [...stored, ...journaled].filter((p): p is string => typeof p === "string" && p !== "");
}

async function rotateNow(...argv: string[]) {
  deliveries = [];
  return runRotateNowCapturing(
    ["--cwd", ROOT, "--config-file", STACK, ...argv],
    { azure: () => clients, intervalMs: 25 },
    async () => {
      await Promise.all(deliveries);
      return passwordsSeen();
    },
  );
}

describe("rotate-now on Azure Key Vault", () => {
  it("single user: the version is brought into the near-expiry window, the rotator runs with Key Vault's event, the new password logs in", async () => {
    const before = vault.latest(ADMIN)!;
    const run = await rotateNow("--conn", "warehouse_admin");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(events.at(-1)).toMatchObject({
      eventType: "Microsoft.KeyVault.SecretNearExpiry",
      data: {
        VaultName: "kv-airflow-prod-7dd9f",
        ObjectType: "Secret",
        ObjectName: ADMIN,
        Version: before.version,
      },
    });
    expect(outcomes.at(-1)).toMatchObject({ status: "rotated", resumed: false });
    // The old version's expiry moved to 30 days out: still readable, inside the rotator's window.
    const oldVersion = vault.history(ADMIN).find((v) => v.version === before.version)!;
    expect(oldVersion.expiresOn!.getTime()).toBeGreaterThan(Date.now() + 29 * DAY_MS);
    expect(oldVersion.expiresOn!.getTime()).toBeLessThan(Date.now() + 31 * DAY_MS);
    const after = latest(ADMIN);
    expect(after.password).not.toBe(JSON.parse(before.value).password);
    expect(await logsIn(after)).toBe(true);
    expect(await logsIn(JSON.parse(before.value))).toBe(false);
    expect(run.stdout).toMatch(/ok {3}the old password no longer logs in/);
  });

  it("alternating users: the login flips and the old one still works until the next rotation", async () => {
    const before = latest(WAREHOUSE);
    const run = await rotateNow("--conn", "warehouse");
    expect(run.code).toBe(0);
    const after = latest(WAREHOUSE);
    expect(after.login).toBe(`${String(before.login)}_clone`);
    expect(await logsIn(after)).toBe(true);
    expect(await logsIn(before)).toBe(true);
  });

  it("the Functions host refuses the invocation: exits 1, nothing new, the current version logs in", async () => {
    const versions = vault.history(ADMIN).length;
    const run = await withFault(
      () => (hostRefuses = true),
      () => (hostRefuses = false),
      () => rotateNow("--conn", "warehouse_admin", "--timeout", "1"),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL trigger the backend's rotation: .*HTTP 401/);
    expect(run.stdout).toMatch(/ok {3}the current credential still logs in/);
    expect(vault.history(ADMIN).length).toBe(versions);
    expect(await logsIn(latest(ADMIN))).toBe(true);
  });

  it.each([
    {
      fault: "the journal write fails",
      around: (deliver: () => Promise<RotationOutcome>, name: string) => {
        journals.failNextWrite(`${name}-rotation-pending`);
        return deliver();
      },
    },
    {
      fault: "the database is down",
      around: withDatabaseDown(() => pg),
    },
  ])("$fault: exits 1, the latest version unchanged and still logging in", async ({ around }) => {
    for (const [name, conn] of [
      [ADMIN, "warehouse_admin"],
      [WAREHOUSE, "warehouse"],
    ] as const) {
      const before = vault.latest(name)!;
      const run = await withFault(
        () => (aroundDelivery = (deliver) => around(deliver, name)),
        () => (aroundDelivery = (deliver) => deliver()),
        () => rotateNow("--conn", conn, "--timeout", "1"),
      );
      expect(outcomes.at(-1)).toBeInstanceOf(Error);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/FAIL wait for a new version.*no new version within 1 s/);
      expect(run.stdout).toMatch(/ok {3}the current credential still logs in/);
      expect(vault.latest(name)!.version).toBe(before.version);
      expect(await logsIn(JSON.parse(before.value))).toBe(true);
    }
  });

  it("the final write fails after a single-user change: the run fails and says so; the next rotate-now resumes from the journal", async () => {
    const run = await withFault(
      () =>
        (aroundDelivery = (deliver) => {
          vault.failNextWrite(ADMIN);
          return deliver();
        }),
      () => (aroundDelivery = (deliver) => deliver()),
      () => rotateNow("--conn", "warehouse_admin", "--timeout", "1"),
    );
    expect(run.code).toBe(1);
    // The database has the journaled password, the vault the old one: the report says the current one fails.
    expect(run.stdout).toMatch(/FAIL the current credential still logs in/);
    const resumed = await rotateNow("--conn", "warehouse_admin");
    expect(resumed.code).toBe(0);
    expect(outcomes.at(-1)).toMatchObject({ status: "rotated", resumed: true });
    expect(await logsIn(latest(ADMIN))).toBe(true);
  });
});

describe("the command's own Azure clients (as installed, with the caller's credentials)", () => {
  afterEach(() => jest.restoreAllMocks());

  it("run the stack's rotator function app through the admin endpoint and PATCH one version's expiry", async () => {
    const { loadIncidentTarget } = await import("../../cli/incident/target");
    const { azureClientsFromEnvironment } = await import("../../cli/incident/azure");
    const target = await loadIncidentTarget({ configFile: STACK, cwd: ROOT });
    const requests: Array<{ url: string; method?: string; headers: Record<string, string>; body?: string }> =
      [];
    jest.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      requests.push({
        url: String(input),
        method: init?.method,
        headers: init?.headers as Record<string, string>,
        body: init?.body as string | undefined,
      });
      return new Response(null, { status: 202 });
    });
    const real = azureClientsFromEnvironment({
      AZURE_ACCESS_TOKEN: "kv-token",
      AZURE_FUNCTIONS_MASTER_KEY: "master-key",
    })(target);
    const event = { id: "e1", eventType: "Microsoft.KeyVault.SecretNearExpiry" } as KeyVaultEvent;
    await real.invokeRotator(event);
    const expiry = new Date("2027-01-03T00:00:00Z");
    await real.keyVault.updateExpiry(ADMIN, "v1", expiry);
    expect(requests).toEqual([
      {
        url: "https://func-airflow-rotator-prod-704bcb.azurewebsites.net/admin/functions/RotateSecret",
        method: "POST",
        headers: { "x-functions-key": "master-key", "Content-Type": "application/json" },
        body: JSON.stringify({ input: JSON.stringify(event) }),
      },
      {
        url: `https://kv-airflow-prod-7dd9f.vault.azure.net/secrets/${ADMIN}/v1?api-version=7.4`,
        method: "PATCH",
        headers: { Authorization: "Bearer kv-token", "Content-Type": "application/json" },
        body: JSON.stringify({ attributes: { exp: expiry.getTime() / 1000 } }),
      },
    ]);
  });
});
