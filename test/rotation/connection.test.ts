import {
  alternateLogin,
  DEFAULT_CONNECT_TIMEOUT_MS,
  parseConnectionJson,
  pendingConnectionJson,
  pgSslAttempts,
  readDatabaseConnection,
  RotationError,
  type AirflowConnectionJson,
} from "../../components/rotation/internal";
import { postgresError } from "../../components/rotation/postgres/driver";

const base: AirflowConnectionJson = {
  conn_type: "postgres",
  host: "db.internal",
  port: 5432,
  schema: "warehouse",
  login: "etl",
  password: "s3cr3t-Value",
  extra: '{"sslmode":"verify-full","connect_timeout":3}',
};

function errorOf(fn: () => unknown): RotationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RotationError) return error;
    throw error;
  }
  throw new Error("expected a RotationError");
}

describe("reading Airflow's JSON connection shape", () => {
  it("reads host, port, schema, login, password, sslmode and connect_timeout", () => {
    const connection = readDatabaseConnection(base, "current secret");
    expect(connection).toMatchObject({
      host: "db.internal",
      port: 5432,
      database: "warehouse",
      login: "etl",
      password: "s3cr3t-Value",
      sslMode: "verify-full",
      connectTimeoutMs: 3000,
    });
    expect(connection.driver.connType).toBe("postgres");
  });

  it("accepts a numeric-string port and an object extra, and defaults like libpq", () => {
    const connection = readDatabaseConnection(
      { ...base, port: "6543", schema: "", extra: { sslmode: "require" } },
      "x",
    );
    expect(connection.port).toBe(6543);
    expect(connection.database).toBeUndefined();
    expect(connection.sslMode).toBe("require");
    const defaults = readDatabaseConnection({ ...base, port: undefined, extra: undefined }, "x");
    expect(defaults.port).toBeUndefined();
    expect(defaults.sslMode).toBe("prefer");
    expect(defaults.connectTimeoutMs).toBe(DEFAULT_CONNECT_TIMEOUT_MS);
  });

  it.each(["host", "login", "password", "conn_type"])("reports a missing %s as MISSING_FIELD", (field) => {
    const error = errorOf(() => readDatabaseConnection({ ...base, [field]: "" }, "current secret"));
    expect(error.code).toBe("MISSING_FIELD");
    expect(error.message).toContain(`"${field}"`);
  });

  it("names unsupported conn_types, with a pointer for MySQL", () => {
    expect(errorOf(() => readDatabaseConnection({ ...base, conn_type: "http" }, "x")).code).toBe(
      "UNSUPPORTED_CONN_TYPE",
    );
    const mysql = errorOf(() => readDatabaseConnection({ ...base, conn_type: "mysql" }, "x"));
    expect(mysql.code).toBe("UNSUPPORTED_CONN_TYPE");
    expect(mysql.message).toContain("DatabaseDriver");
  });

  it.each([
    [{ port: 70000 }],
    [{ port: "54x" }],
    [{ extra: "{not json" }],
    [{ extra: '{"sslmode":"sometimes"}' }],
    [{ extra: '{"connect_timeout":"soon"}' }],
    [{ login: 42 }],
  ])("reports an unusable field as INVALID_FIELD (%j)", (change) => {
    expect(errorOf(() => readDatabaseConnection({ ...base, ...change }, "x")).code).toBe("INVALID_FIELD");
  });

  it("never echoes a secret string that is not JSON", () => {
    const error = errorOf(() =>
      parseConnectionJson('{"password": "hunter2-Secret", oops}', "current secret"),
    );
    expect(error.code).toBe("INVALID_FIELD");
    expect(error.message).not.toContain("hunter2");
    expect(errorOf(() => parseConnectionJson("[1]", "x")).code).toBe("INVALID_FIELD");
  });
});

describe("pendingConnectionJson", () => {
  it("replaces only the password for a single user, keeping every other key and its order", () => {
    const current = { ...base, masterarn: "arn:aws:secretsmanager:x", description: "kept" };
    const pending = pendingConnectionJson(current, "single-user", "n3w");
    expect(Object.keys(pending)).toEqual(Object.keys(current));
    expect(pending).toEqual({ ...current, password: "n3w" });
  });

  it("flips the login between user and user_clone for alternating users", () => {
    expect(pendingConnectionJson(base, "alternating-users", "n3w").login).toBe("etl_clone");
    expect(pendingConnectionJson({ ...base, login: "etl_clone" }, "alternating-users", "n3w").login).toBe(
      "etl",
    );
    expect(alternateLogin("a_clone_clone")).toBe("a_clone");
  });

  it("alternating users without a schema: pins the database the current login reaches", () => {
    const { schema: _schema, ...noSchema } = base;
    expect(pendingConnectionJson(noSchema, "alternating-users", "n3w")).toMatchObject({
      login: "etl_clone",
      schema: "etl",
    });
    expect(
      pendingConnectionJson({ ...noSchema, login: "etl_clone", schema: "" }, "alternating-users", "n3w"),
    ).toMatchObject({
      login: "etl",
      schema: "etl_clone",
    });
    expect(pendingConnectionJson(noSchema, "single-user", "n3w")).not.toHaveProperty("schema");
  });

  it("refuses a clone login PostgreSQL would truncate (63 bytes, counted in UTF-8)", () => {
    const fits = "a".repeat(57); // + "_clone" = 63 bytes
    expect(pendingConnectionJson({ ...base, login: fits }, "alternating-users", "p").login).toHaveLength(63);
    const error = errorOf(() =>
      pendingConnectionJson({ ...base, login: "é".repeat(29) }, "alternating-users", "p"),
    );
    expect(error.code).toBe("IDENTIFIER_TOO_LONG");
    expect(error.message).toContain("64 bytes");
  });
});

describe("sslmode mapping to pg's ssl option", () => {
  it("follows libpq's meaning of each mode", () => {
    expect(pgSslAttempts("disable")).toEqual([false]);
    expect(pgSslAttempts("prefer")).toEqual([{ rejectUnauthorized: false }, false]);
    expect(pgSslAttempts("allow")).toEqual([{ rejectUnauthorized: false }, false]);
    expect(pgSslAttempts("require")).toEqual([{ rejectUnauthorized: false }]);
    expect(pgSslAttempts("verify-full")).toEqual([{ rejectUnauthorized: true }]);
    const [verifyCa] = pgSslAttempts("verify-ca") as Array<{
      rejectUnauthorized: boolean;
      checkServerIdentity: () => unknown;
    }>;
    expect(verifyCa.rejectUnauthorized).toBe(true);
    // The chain is checked, the host name is not.
    expect(verifyCa.checkServerIdentity()).toBeUndefined();
  });
});

describe("database error mapping", () => {
  const dbError = (code: string, message: string) =>
    Object.assign(new Error(message), { code, severity: "FATAL" });

  it("classifies by SQLSTATE and socket errors", () => {
    expect(postgresError(dbError("28P01", "password authentication failed"), "login", []).code).toBe(
      "AUTH_FAILED",
    );
    expect(postgresError(dbError("42501", "permission denied to create role"), "x", []).code).toBe(
      "PERMISSION_DENIED",
    );
    expect(postgresError(dbError("57P03", "the database system is starting up"), "x", []).code).toBe(
      "DB_UNREACHABLE",
    );
    expect(postgresError(dbError("42710", "role exists"), "x", []).code).toBe("DB_ERROR");
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(postgresError(refused, "x", [])).toMatchObject({ code: "DB_UNREACHABLE", dbCode: "ECONNREFUSED" });
  });

  it("removes known secrets from server messages", () => {
    const error = postgresError(dbError("42601", 'syntax error at or near "Tr0ub4dor"'), "setting", [
      "Tr0ub4dor",
    ]);
    expect(error.message).not.toContain("Tr0ub4dor");
    expect(error.message).toContain("***");
  });
});
