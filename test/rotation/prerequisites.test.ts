import * as pulumi from "@pulumi/pulumi";
import type { AirflowSettings } from "../../components/airflow/airflowConfig";
import type { ConnectionDeclaration, SecretsDeclarations } from "../../components/airflow/declarations";
import { Problems } from "../../components/airflow/problems";
import {
  alternateLogin,
  DEFAULT_EXCLUDED_CHARACTERS,
  generatePassword,
  PASSWORD_CHARACTER_CLASSES,
  pendingConnectionJson,
  RotationError,
} from "../../components/rotation/internal";
import {
  checkRotationPrerequisites,
  checkRotatorPasswordSettings,
} from "../../components/rotation/prerequisites";

const airflow: AirflowSettings = { version: "2.10" };

function warehouse(overrides: Partial<ConnectionDeclaration> = {}): ConnectionDeclaration {
  return {
    conn_id: "warehouse",
    conn_type: "postgres",
    host: "db.internal",
    login: "airflow",
    password: pulumi.secret("not-checked"),
    rotation: { strategy: "single-user", everyDays: 30 },
    ...overrides,
  };
}

const admin: ConnectionDeclaration = {
  conn_id: "admin",
  conn_type: "postgres",
  host: "db.internal",
  login: "postgres",
  password: pulumi.secret("not-checked"),
};

function problemsOf(declarations: SecretsDeclarations, settings: AirflowSettings = airflow): string[] {
  const problems = new Problems();
  checkRotationPrerequisites(declarations, settings, problems);
  return problems.list.map((p) => `${p.path}: ${p.rule}`);
}

describe("checkRotationPrerequisites", () => {
  it("accepts rotatable connections of both strategies, and ignores connections that do not rotate", () => {
    expect(
      problemsOf({
        connections: [
          warehouse(),
          warehouse({
            conn_id: "reporting",
            login: "reporting",
            rotation: { strategy: "alternating-users", everyDays: 30, masterConnId: "admin" },
          }),
          admin,
          { conn_id: "webhook", conn_type: "http", host: "hooks.example.com", login: "x".repeat(200) },
        ],
      }),
    ).toEqual([]);
    expect(problemsOf({}, { version: "2.10", connectionFormat: "uri" })).toEqual([]);
    expect(
      problemsOf(
        { connections: [{ ...warehouse(), rotation: undefined, conn_type: "mysql" }] },
        {
          version: "2.10",
          connectionFormat: "uri",
        },
      ),
    ).toEqual([]);
  });

  it("refuses URI storage once, at airflow.connectionFormat, naming the rotated connections", () => {
    expect(
      problemsOf(
        { connections: [warehouse(), warehouse({ conn_id: "reporting" }), admin] },
        { version: "3.0", connectionFormat: "uri" },
      ),
    ).toEqual([
      'airflow.connectionFormat: rotated connections (warehouse, reporting) must be stored as JSON: the rotator rewrites the login and password fields of Airflow\'s JSON connection form, and a URI value cannot be rotated; use "json" (Airflow 2.3 or later)',
    ]);
  });

  it("leaves an unparsable Airflow version to the declaration checks", () => {
    expect(problemsOf({ connections: [warehouse()] }, { version: "1.10", connectionFormat: "uri" })).toEqual(
      [],
    );
  });

  it("refuses a conn_type without a driver, for the rotated connection and for its master", () => {
    expect(
      problemsOf({
        connections: [
          warehouse({ conn_type: "mysql" }),
          warehouse({
            conn_id: "reporting",
            rotation: { strategy: "alternating-users", everyDays: 30, masterConnId: "webhook" },
          }),
          { conn_id: "webhook", conn_type: "http", host: "hooks.example.com" },
        ],
      }),
    ).toEqual([
      'connections[warehouse].conn_type: connections[warehouse] has conn_type "mysql", which rotation does not support (MySQL needs a DatabaseDriver implementation, see components/rotation/driver.ts); supported: postgres',
      'connections[reporting].rotation.masterConnId: the master connections[webhook] has conn_type "http", which rotation does not support; supported: postgres',
    ]);
  });

  it("checks the master's driver only for alternating users, and not twice for a self-master", () => {
    const webhook = { conn_id: "webhook", conn_type: "http", host: "hooks.example.com" };
    // single-user ignores masterConnId: the rotator logs in as the connection itself.
    const singleWithMaster = warehouse({
      rotation: { strategy: "single-user", everyDays: 30, masterConnId: "webhook" },
    });
    expect(problemsOf({ connections: [singleWithMaster, webhook] })).toEqual([]);
    const selfMaster = warehouse({
      conn_type: "mysql",
      rotation: { strategy: "alternating-users", everyDays: 30, masterConnId: "warehouse" },
    });
    expect(problemsOf({ connections: [selfMaster] })).toEqual([
      expect.stringMatching(
        /^connections\[warehouse\]\.conn_type: connections\[warehouse\] has conn_type "mysql"/,
      ),
    ]);
  });

  it("refuses a login the strategy would use beyond the driver's limit, counting UTF-8 bytes, without quoting it", () => {
    const login58 = "r".repeat(58); // 58 bytes; its alternate login is 64
    const multibyte = "é".repeat(32); // 32 characters, 64 bytes
    const found = problemsOf({
      connections: [
        warehouse({
          login: login58,
          rotation: { strategy: "alternating-users", everyDays: 30, masterConnId: "admin" },
        }),
        warehouse({ conn_id: "single", login: multibyte }),
        admin,
      ],
    });
    expect(found).toEqual([
      "connections[warehouse].login: alternating-users would use its alternate login, 64 bytes in UTF-8; postgres keeps identifiers of at most 63 bytes, so every rotation would fail (IDENTIFIER_TOO_LONG)",
      "connections[single].login: single-user would use the login, 64 bytes in UTF-8; postgres keeps identifiers of at most 63 bytes, so every rotation would fail (IDENTIFIER_TOO_LONG)",
    ]);
    for (const message of found) {
      expect(message).not.toContain(login58);
      expect(message).not.toContain(multibyte);
    }
  });

  it("agrees with the rotation core at the limit for both strategies", () => {
    const coreRefuses = (login: string, strategy: "single-user" | "alternating-users"): boolean => {
      try {
        pendingConnectionJson({ conn_type: "postgres", host: "db", login, password: "old" }, strategy, "new");
        return false;
      } catch (error) {
        if (error instanceof RotationError && error.code === "IDENTIFIER_TOO_LONG") return true;
        throw error;
      }
    };
    const checkRefuses = (login: string, strategy: "single-user" | "alternating-users"): boolean =>
      problemsOf({
        connections: [
          warehouse({
            login,
            rotation: {
              strategy,
              everyDays: 30,
              ...(strategy === "alternating-users" ? { masterConnId: "admin" } : {}),
            },
          }),
          admin,
        ],
      }).length > 0;
    const logins = [
      "a".repeat(56),
      "a".repeat(57),
      "a".repeat(63),
      "a".repeat(64),
      `${"a".repeat(57)}_clone`,
      `${"a".repeat(58)}_clone`,
      "ü".repeat(28),
      "ü".repeat(29),
      "ü".repeat(32),
    ];
    const outcomes = new Set<boolean>();
    for (const login of logins) {
      for (const strategy of ["single-user", "alternating-users"] as const) {
        // The core refuses the login it would write next; the check refuses any login the pair uses.
        const core =
          strategy === "alternating-users"
            ? coreRefuses(login, strategy) || coreRefuses(alternateLogin(login), strategy)
            : coreRefuses(login, strategy);
        expect({ login, strategy, refused: checkRefuses(login, strategy) }).toEqual({
          login,
          strategy,
          refused: core,
        });
        outcomes.add(core);
      }
    }
    // Both sides of the limit were exercised.
    expect([...outcomes].sort()).toEqual([false, true]);
  });

  it("leaves logins that are not plain strings to the rotator at run time", () => {
    expect(
      problemsOf({
        connections: [
          warehouse({
            login: pulumi.output("x".repeat(100)) as unknown as string,
            rotation: { strategy: "alternating-users", everyDays: 30, masterConnId: "admin" },
          }),
          admin,
        ],
      }),
    ).toEqual([]);
  });

  it("skips what the declaration checks refuse, without throwing", () => {
    const malformed = [
      null,
      { conn_id: "a", conn_type: "postgres", rotation: null },
      { conn_id: "b", rotation: { strategy: "single-user", everyDays: 30 } },
      { conn_id: "c", conn_type: "postgres", login: "x".repeat(100), rotation: { strategy: "hourly" } },
      {
        conn_id: "d",
        conn_type: "postgres",
        rotation: { strategy: "alternating-users", everyDays: 30, masterConnId: "absent" },
      },
    ] as unknown as ConnectionDeclaration[];
    expect(problemsOf({ connections: malformed })).toEqual([]);
    expect(problemsOf({ connections: "nope" } as unknown as SecretsDeclarations)).toEqual([]);
    expect(problemsOf(undefined as unknown as SecretsDeclarations)).toEqual([]);
  });
});

describe("checkRotatorPasswordSettings", () => {
  const paths = {
    length: "gcp.rotation.passwordLength",
    excludeCharacters: "gcp.rotation.excludeCharacters",
  };
  const problemsFor = (settings: { length?: unknown; excludeCharacters?: unknown }, maxLength?: number) => {
    const problems = new Problems();
    checkRotatorPasswordSettings(settings, paths, problems, maxLength);
    return problems.list.map((p) => `${p.path}: ${p.rule}`);
  };

  it("accepts unset settings, the bounds, and exclusions that leave characters to draw", () => {
    expect(problemsFor({})).toEqual([]);
    expect(problemsFor({ length: 16, excludeCharacters: "" })).toEqual([]);
    expect(problemsFor({ length: 4096 })).toEqual([]);
    expect(problemsFor({ length: 99 }, 99)).toEqual([]);
    const allButOne = Object.values(PASSWORD_CHARACTER_CLASSES).join("").slice(1);
    expect(problemsFor({ excludeCharacters: allButOne })).toEqual([]);
  });

  it("refuses lengths outside the floor and the rotator's or backend's maximum", () => {
    for (const length of [15, 4097, 32.5, "32", null])
      expect(problemsFor({ length })).toEqual([
        "gcp.rotation.passwordLength: must be a whole number from 16 to 4096",
      ]);
    expect(problemsFor({ length: 100 }, 99)).toEqual([
      "gcp.rotation.passwordLength: must be a whole number from 16 to 99",
    ]);
  });

  it("refuses exclusions that leave nothing to draw, without quoting them", () => {
    const everything = Object.values(PASSWORD_CHARACTER_CLASSES).join("");
    const found = problemsFor({ excludeCharacters: everything });
    expect(found).toEqual([
      "gcp.rotation.excludeCharacters: excludes every character a password is drawn from (printable ASCII without space), so every rotation would fail (INVALID_CONFIG)",
    ]);
    expect(found[0]).not.toContain(everything);
    expect(problemsFor({ excludeCharacters: 7 })).toEqual([
      "gcp.rotation.excludeCharacters: must be a string",
    ]);
  });

  it("agrees with the rotator's generator on what it can draw from", () => {
    const everything = Object.values(PASSWORD_CHARACTER_CLASSES).join("");
    for (const excludeCharacters of [everything, everything.slice(1), "", DEFAULT_EXCLUDED_CHARACTERS]) {
      let generatorRefuses = false;
      try {
        generatePassword({ length: 16, excludeCharacters });
      } catch (error) {
        if (!(error instanceof RotationError)) throw error;
        generatorRefuses = true;
      }
      expect(problemsFor({ length: 16, excludeCharacters }).length > 0).toBe(generatorRefuses);
    }
  });
});

describe("the alternating-users window covers the consumers", () => {
  const alternating = (everyDays: number): SecretsDeclarations => ({
    connections: [
      { conn_id: "admin", conn_type: "postgres", login: "admin", password: "pw" },
      {
        conn_id: "app",
        conn_type: "postgres",
        login: "app",
        password: "pw",
        rotation: { strategy: "alternating-users", everyDays, masterConnId: "admin" },
      },
    ],
  });
  const windowProblems = (everyDays: number, airflow: AirflowSettings) => {
    const problems = new Problems();
    checkRotationPrerequisites(alternating(everyDays), airflow, problems);
    return problems.list.filter((p) => p.path === "connections[app].rotation.everyDays");
  };

  test.each<[string, number, AirflowSettings, boolean]>([
    ["a day, default 24 h task, no cache: not longer than the task", 1, { version: "2.10" }, false],
    [
      "two days, default task, production cache",
      2,
      { version: "2.10", cache: { enabled: true, ttlSeconds: 600 } },
      true,
    ],
    [
      "a day, 23 h tasks and a 600 s cache: fits",
      1,
      { version: "2.10", longestTaskHours: 23, cache: { enabled: true, ttlSeconds: 600 } },
      true,
    ],
    [
      "a day, 23 h tasks and Airflow's default 900 s TTL: fits",
      1,
      { version: "2.10", longestTaskHours: 23, cache: { enabled: true } },
      true,
    ],
    [
      "a day, 23 h tasks and a 3,601 s cache: too short",
      1,
      { version: "2.10", longestTaskHours: 23, cache: { enabled: true, ttlSeconds: 3601 } },
      false,
    ],
    [
      "three days, 72 h tasks: exactly equal is too short",
      3,
      { version: "2.10", longestTaskHours: 72 },
      false,
    ],
  ])("%s", (_why, everyDays, airflow, fits) => {
    const found = windowProblems(everyDays, airflow);
    expect(found).toHaveLength(fits ? 0 : 1);
    if (!fits) expect(found[0].rule).toMatch(/must exceed the secrets cache TTL .* plus the longest task/);
  });

  test("single-user rotation has no window to check", () => {
    const problems = new Problems();
    checkRotationPrerequisites(
      {
        connections: [
          {
            conn_id: "app",
            conn_type: "postgres",
            login: "app",
            password: "pw",
            rotation: { strategy: "single-user", everyDays: 1 },
          },
        ],
      },
      { version: "2.10", longestTaskHours: 720 },
      problems,
    );
    expect(problems.list).toEqual([]);
  });
});
