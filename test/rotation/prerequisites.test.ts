import * as pulumi from "@pulumi/pulumi";
import type { AirflowSettings } from "../../components/airflow/airflowConfig";
import type { ConnectionDeclaration, SecretsDeclarations } from "../../components/airflow/declarations";
import { Problems } from "../../components/airflow/problems";
import { alternateLogin, pendingConnectionJson, RotationError } from "../../components/rotation/internal";
import { checkRotationPrerequisites } from "../../components/rotation/prerequisites";

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
