/**
 * The Azure rotator against a real PostgreSQL, an in-memory Key Vault and the in-memory journal
 * container of its storage account: the database password changes first, the new secret version is
 * written only once the new login works, a failed change leaves the secret and the old login as they
 * were, a repeated event changes nothing, and an attempt that dies between the database change and
 * the write is finished by the next delivery from the journal (never kept in the vault Airflow reads).
 */
import {
  acceptsLogin,
  createLoginRole,
  startPostgres,
  type TestPostgres,
  uniqueRole,
} from "../support/postgres";
import { handleKeyVaultEvent, type RotatorDependencies } from "../../components/azure/rotator/handler";
import type { RotatedSecretConfig, RotationConfig } from "../../components/azure/rotator/config";
import { rotatorPasswordPolicy } from "../../components/rotation/config";
import type { JournalEntry } from "../../components/azure/rotator/journal";
import { FakeJournalContainer, FakeKeyVault } from "./fakeKeyVault";

const VAULT_URL = "https://kv-airflow-test-0a1b2.vault.azure.net/";
const DAY = 86_400_000;
const NOW = new Date("2026-11-20T09:00:00Z");

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(() => pg?.destroy());

const createRole = (prefix: string, password: string) => createLoginRole(pg, uniqueRole(prefix), password);
const logsIn = (login: string, password: string) => acceptsLogin(pg, login, password);

/** The connection JSON as the contract stores it for Azure (conn_type first, extra as a JSON string). */
function connection(login: string, password: string): Record<string, unknown> {
  return {
    conn_type: "postgres",
    description: "warehouse",
    host: pg.host,
    port: pg.port,
    schema: "postgres",
    login,
    password,
    extra: '{"sslmode":"disable"}',
  };
}

interface Fixture {
  vault: FakeKeyVault;
  journals: FakeJournalContainer;
  /** Writes to both stores, in order. */
  timeline: string[];
  name: string;
  journalName: string;
  deps: RotatorDependencies;
  /** The version the NearExpiry event announces. */
  version: string;
}

let secretCounter = 0;
async function fixture(
  value: Record<string, unknown>,
  settings: Partial<RotatedSecretConfig> = {},
  expiresInDays = 20,
): Promise<Fixture> {
  const timeline: string[] = [];
  const vault = new FakeKeyVault(timeline);
  const journals = new FakeJournalContainer(timeline);
  const name = `airflow-test-connections-warehouse-${++secretCounter}`;
  const journalName = `${name}.json`;
  const { version } = await vault.setSecret(name, JSON.stringify(value), {
    contentType: "application/json",
    expiresOn: new Date(NOW.getTime() + expiresInDays * DAY),
    tags: { "airflow-kind": "connection", "airflow-id": "warehouse" },
  });
  // No journal yet: the container starts empty and the rotator creates the journal on first use.
  timeline.length = 0;
  const config: RotationConfig = {
    vaultUrl: VAULT_URL,
    secrets: { [name]: { strategy: "single-user", everyDays: 30, journalName, ...settings } },
    password: rotatorPasswordPolicy(),
    journals: { containerUrl: "http://127.0.0.1/rotation-journals" },
  };
  let n = 0;
  const deps: RotatorDependencies = {
    client: vault,
    journals,
    config,
    now: () => NOW,
    newPassword: () => `Rotated-${secretCounter}-${++n}-pw!`,
  };
  return { vault, journals, timeline, name, journalName, deps, version };
}

/** The pending credential a journal holds (fails the test when it holds none). */
function pendingOf(entry: JournalEntry | undefined): Record<string, unknown> {
  expect(entry?.state).toBe("pending");
  return (entry as Extract<JournalEntry, { state: "pending" }>).pending;
}

function nearExpiry(name: string, version: string, eventType = "Microsoft.KeyVault.SecretNearExpiry") {
  return {
    id: "00eccf70-95a7-4e7c-8299-2eb17ee9ad64",
    topic: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-airflow-test-0a1b2",
    subject: name,
    eventType,
    eventTime: NOW.toISOString(),
    dataVersion: "1",
    data: {
      Id: `${VAULT_URL}secrets/${name}/${version}`,
      VaultName: "kv-airflow-test-0a1b2",
      ObjectType: "Secret",
      ObjectName: name,
      Version: version,
      NBF: null,
      EXP: Math.floor((NOW.getTime() + 20 * DAY) / 1000),
    },
  };
}

const stored = (f: Fixture) => JSON.parse(f.vault.latest(f.name)!.value) as Record<string, string>;

describe("single user", () => {
  test("success: the database changes first, then a new version with a new expiry that logs in", async () => {
    const role = await createRole("kv_single", "initial-pw-1");
    const f = await fixture(connection(role, "initial-pw-1"));

    const outcome = await handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps);

    expect(outcome).toMatchObject({ status: "rotated", secret: f.name, resumed: false });
    const history = f.vault.history(f.name);
    expect(history).toHaveLength(2);
    const latest = history[1];
    expect(latest.version).toBe((outcome as { version: string }).version);
    expect(latest.expiresOn).toEqual(new Date(NOW.getTime() + (30 + 30) * DAY));
    expect(latest.contentType).toBe("application/json");
    expect(latest.tags).toEqual({ "airflow-kind": "connection", "airflow-id": "warehouse" });
    const rotated = stored(f);
    // Same connection, same keys, new password.
    expect(Object.keys(rotated)).toEqual(Object.keys(connection(role, "x")));
    expect({ ...rotated, password: "" }).toEqual({ ...connection(role, "initial-pw-1"), password: "" });
    expect(rotated.password).not.toBe("initial-pw-1");
    expect(await logsIn(role, rotated.password)).toBe(true);
    expect(await logsIn(role, "initial-pw-1")).toBe(false);
    // The journal was created (there was none) before the secret was written, and is idle again
    // afterwards; the vault Airflow reads got the new version and nothing else.
    expect(f.timeline).toEqual([
      `journal ${f.journalName} pending`,
      `vault ${f.name}`,
      `journal ${f.journalName} idle`,
    ]);
    expect(f.journals.history(f.journalName).map((e) => e.state)).toEqual(["pending", "idle"]);
    expect(pendingOf(f.journals.history(f.journalName)[0]).password).toBe(rotated.password);
    expect(f.vault.history(`${f.name}-rotation-pending`)).toEqual([]);
  });

  test("generates the password with the configured policy (length, excluded characters)", async () => {
    const role = await createRole("kv_policy", "initial-pw-p");
    const f = await fixture(connection(role, "initial-pw-p"));
    const excluded = "abcdefghijklmnopqrstuvwxyz!#$%";
    const deps: RotatorDependencies = {
      ...f.deps,
      newPassword: undefined,
      config: { ...f.deps.config, password: { length: 57, excludeCharacters: excluded } },
    };

    expect(await handleKeyVaultEvent(nearExpiry(f.name, f.version), deps)).toMatchObject({
      status: "rotated",
    });
    const password = stored(f).password;
    expect(password).toHaveLength(57);
    expect([...password].filter((ch) => excluded.includes(ch))).toEqual([]);
    expect(await logsIn(role, password)).toBe(true);
  });

  test("database unreachable: no new version, and the old credential keeps working", async () => {
    const role = await createRole("kv_down", "initial-pw-2");
    const f = await fixture(connection(role, "initial-pw-2"));
    await pg.stop();
    try {
      await expect(handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps)).rejects.toThrow(
        /DB_UNREACHABLE/,
      );
    } finally {
      await pg.start();
    }
    expect(f.vault.history(f.name)).toHaveLength(1);
    expect(stored(f).password).toBe("initial-pw-2");
    expect(await logsIn(role, "initial-pw-2")).toBe(true);

    // Event Grid redelivers; the database is back; the rotation completes with the journalled password.
    const journalled = pendingOf(f.journals.latest(f.journalName)).password as string;
    const retry = await handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps);
    expect(retry).toMatchObject({ status: "rotated", resumed: true });
    expect(stored(f).password).toBe(journalled);
    expect(await logsIn(role, journalled)).toBe(true);
  });

  test("a repeated NearExpiry for the replaced version changes nothing", async () => {
    const role = await createRole("kv_repeat", "initial-pw-3");
    const f = await fixture(connection(role, "initial-pw-3"));
    await handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps);
    const afterFirst = stored(f).password;

    const again = await handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps);
    expect(again).toEqual({
      status: "skipped",
      secret: f.name,
      reason: expect.stringMatching(/^version \w+ was superseded by \w+$/),
    });
    expect(f.vault.history(f.name)).toHaveLength(2);
    expect(await logsIn(role, afterFirst)).toBe(true);
  });

  test("a version that is no longer near expiry (re-stamped by hand) is left alone", async () => {
    const role = await createRole("kv_fresh", "initial-pw-4");
    const f = await fixture(connection(role, "initial-pw-4"), {}, 200);
    const outcome = await handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps);
    expect(outcome).toMatchObject({
      status: "skipped",
      reason: expect.stringContaining("is not near expiry"),
    });
    expect(f.vault.history(f.name)).toHaveLength(1);
    expect(await logsIn(role, "initial-pw-4")).toBe(true);
  });

  test("an attempt that dies after the database change is finished by the next delivery", async () => {
    const role = await createRole("kv_crash", "initial-pw-5");
    const f = await fixture(connection(role, "initial-pw-5"));
    f.vault.failNextWrite(f.name);

    await expect(handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps)).rejects.toThrow(
      /injected failure/,
    );
    // The database already has the new password; the journal has it too, naming the old version.
    const journal = f.journals.latest(f.journalName);
    expect(journal).toMatchObject({ state: "pending", secret: f.name, rotationOf: f.version });
    const pending = pendingOf(journal).password as string;
    expect(await logsIn(role, pending)).toBe(true);
    expect(f.vault.history(f.name)).toHaveLength(1);

    const retry = await handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps);
    expect(retry).toMatchObject({ status: "rotated", resumed: true });
    expect(stored(f).password).toBe(pending);
    expect(await logsIn(role, stored(f).password)).toBe(true);
  });
});

describe("the journal", () => {
  test("storage unreachable: the rotation stops before the database changes, and the old login works", async () => {
    const role = await createRole("kv_jr_down", "initial-pw-j1");
    const f = await fixture(connection(role, "initial-pw-j1"));
    const deps: RotatorDependencies = {
      ...f.deps,
      journals: {
        read: () =>
          Promise.reject(new Error("reading journal x failed with HTTP 403 (AuthorizationFailure)")),
        write: () => Promise.reject(new Error("unreachable")),
      },
    };
    await expect(handleKeyVaultEvent(nearExpiry(f.name, f.version), deps)).rejects.toThrow(/HTTP 403/);
    expect(f.vault.history(f.name)).toHaveLength(1);
    expect(await logsIn(role, "initial-pw-j1")).toBe(true);
  });

  test("the journal write fails: nothing changes; the next delivery rotates with a fresh journal", async () => {
    const role = await createRole("kv_jw_fail", "initial-pw-j2");
    const f = await fixture(connection(role, "initial-pw-j2"));
    f.journals.failNextWrite(f.journalName);
    await expect(handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps)).rejects.toThrow(
      /injected failure writing journal/,
    );
    expect(f.journals.history(f.journalName)).toEqual([]);
    expect(f.vault.history(f.name)).toHaveLength(1);
    expect(await logsIn(role, "initial-pw-j2")).toBe(true);

    const retry = await handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps);
    expect(retry).toMatchObject({ status: "rotated", resumed: false });
    expect(await logsIn(role, stored(f).password)).toBe(true);
  });

  test("a pending journal of an older version is not resumed: the rotation starts afresh", async () => {
    const role = await createRole("kv_stale", "initial-pw-j3");
    const f = await fixture(connection(role, "initial-pw-j3"));
    await f.journals.write(f.journalName, {
      state: "pending",
      secret: f.name,
      rotationOf: "0123456789abcdef0123456789abcdef",
      pending: connection(role, "stale-pending-pw"),
    });
    const outcome = await handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps);
    expect(outcome).toMatchObject({ status: "rotated", resumed: false });
    expect(stored(f).password).not.toBe("stale-pending-pw");
    expect(await logsIn(role, stored(f).password)).toBe(true);
    expect(await logsIn(role, "stale-pending-pw")).toBe(false);
  });

  test("the reset to idle fails: the rotation stands, and the journal left behind is never resumed", async () => {
    const role = await createRole("kv_reset", "initial-pw-j4");
    const f = await fixture(connection(role, "initial-pw-j4"));
    const logs: string[] = [];
    const deps = { ...f.deps, log: (m: string) => logs.push(m) };
    // The pending write succeeds, the reset after the secret write fails.
    const write = f.journals.write.bind(f.journals);
    let writes = 0;
    f.journals.write = async (name, entry) => {
      if (++writes === 2) throw new Error(`writing journal ${name} failed with HTTP 503`);
      return write(name, entry);
    };
    const outcome = await handleKeyVaultEvent(nearExpiry(f.name, f.version), deps);
    expect(outcome).toMatchObject({ status: "rotated", resumed: false });
    expect(logs.some((m) => /could not reset journal .* HTTP 503/.test(m))).toBe(true);
    const rotated = stored(f).password;
    expect(await logsIn(role, rotated)).toBe(true);
    // The journal still names the replaced version: a redelivery is skipped as superseded, and the
    // next rotation (of the new version) does not mistake it for its own.
    expect(f.journals.latest(f.journalName)).toMatchObject({ state: "pending", rotationOf: f.version });
    expect(await handleKeyVaultEvent(nearExpiry(f.name, f.version), deps)).toMatchObject({
      status: "skipped",
    });
  });
});

describe("alternating users", () => {
  test("the master's change fails: no new version, the current login keeps working", async () => {
    const role = await createRole("kv_alt_fail", "initial-pw-6");
    const weakMaster = await createRole("kv_weak_master", "master-pw-6");
    const f = await fixture(connection(role, "initial-pw-6"), {
      strategy: "alternating-users",
      master: "master-secret",
    });
    await f.vault.setSecret("master-secret", JSON.stringify(connection(weakMaster, "master-pw-6")));

    await expect(handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps)).rejects.toThrow(
      /PERMISSION_DENIED|DB_ERROR/,
    );
    expect(f.vault.history(f.name)).toHaveLength(1);
    expect(stored(f).login).toBe(role);
    expect(await logsIn(role, "initial-pw-6")).toBe(true);
  });

  test("success: the clone gets the new password, the secret flips to it, the old login still works", async () => {
    const role = await createRole("kv_alt", "initial-pw-7");
    const f = await fixture(connection(role, "initial-pw-7"), {
      strategy: "alternating-users",
      master: "master-secret",
    });
    await f.vault.setSecret("master-secret", JSON.stringify(connection(pg.superuser, pg.superPassword)));

    const outcome = await handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps);
    expect(outcome).toMatchObject({ status: "rotated" });
    expect(stored(f).login).toBe(`${role}_clone`);
    expect(await logsIn(`${role}_clone`, stored(f).password)).toBe(true);
    expect(await logsIn(role, "initial-pw-7")).toBe(true);
  });

  test("an attempt that dies after the master's change is finished from the journal: no lock-out", async () => {
    const role = await createRole("kv_alt_crash", "initial-pw-8");
    const f = await fixture(connection(role, "initial-pw-8"), {
      strategy: "alternating-users",
      master: "master-secret",
    });
    await f.vault.setSecret("master-secret", JSON.stringify(connection(pg.superuser, pg.superPassword)));
    f.vault.failNextWrite(f.name);

    await expect(handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps)).rejects.toThrow(/injected/);
    const pending = pendingOf(f.journals.latest(f.journalName));
    expect(pending.login).toBe(`${role}_clone`);
    // Airflow still reads the old login, which still works; the clone already has the journaled password.
    expect(stored(f).login).toBe(role);
    expect(await logsIn(role, "initial-pw-8")).toBe(true);
    expect(await logsIn(`${role}_clone`, pending.password as string)).toBe(true);

    const retry = await handleKeyVaultEvent(nearExpiry(f.name, f.version), f.deps);
    expect(retry).toMatchObject({ status: "rotated", resumed: true });
    expect(stored(f)).toMatchObject({ login: `${role}_clone`, password: pending.password });
    expect(f.journals.latest(f.journalName)).toEqual({ state: "idle" });
  });
});

test("events that are not this rotator's business are skipped without touching anything", async () => {
  const f = await fixture(connection("nobody", "pw"));
  const calls = f.vault.calls.length;
  const other = nearExpiry(f.name, f.version);
  expect(
    await handleKeyVaultEvent({ ...other, eventType: "Microsoft.KeyVault.SecretNewVersionCreated" }, f.deps),
  ).toMatchObject({ status: "skipped" });
  expect(
    await handleKeyVaultEvent({ ...other, data: { ...other.data, VaultName: "kv-someone-else" } }, f.deps),
  ).toMatchObject({ status: "skipped" });
  expect(
    await handleKeyVaultEvent({ ...other, data: { ...other.data, ObjectName: "not-rotated" } }, f.deps),
  ).toMatchObject({ status: "skipped" });
  expect(
    await handleKeyVaultEvent({ ...other, data: { ...other.data, ObjectType: "Key" } }, f.deps),
  ).toMatchObject({ status: "skipped" });
  expect(f.vault.calls.length).toBe(calls);
  expect(f.journals.calls).toEqual([]);
});
