/** The rotation core against a real PostgreSQL: password setting, verification, cloning, TLS modes, errors. */
import { Client } from "pg";
import {
  applyPendingCredential,
  pendingConnectionJson,
  quoteLiteral,
  readDatabaseConnection,
  RotationError,
  scramSha256Verifier,
  verifyLogin,
  type AirflowConnectionJson,
} from "../../components/rotation/internal";
import { createRandomLogin, freePort, startPostgres, type TestPostgres } from "../support/postgres";
import { canLogIn, connectionJson, createLoginRole, randomPassword, uniqueRole } from "./helpers";

let pg: TestPostgres;
let master: AirflowConnectionJson;

beforeAll(async () => {
  pg = await startPostgres();
  master = connectionJson(pg, pg.superuser, pg.superPassword);
});
afterAll(() => pg?.destroy());

async function rejection(promise: Promise<unknown>): Promise<RotationError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RotationError) return error;
    throw error;
  }
  throw new Error("expected a RotationError");
}

async function newUser(prefix = "core"): Promise<AirflowConnectionJson> {
  const { login, password } = await createRandomLogin(pg, prefix);
  return connectionJson(pg, login, password);
}

describe("password setting", () => {
  it("stores the client-side SCRAM verifier byte for byte, as the server would compute it", async () => {
    const role = uniqueRole("scram");
    await pg.query(`CREATE ROLE ${role} LOGIN PASSWORD 'server-side Pa55!'`);
    const { rows } = await pg.query("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [role]);
    const serverVerifier = String(rows[0].rolpassword);
    const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(serverVerifier)!;
    expect(
      scramSha256Verifier("server-side Pa55!", {
        salt: Buffer.from(salt, "base64"),
        iterations: Number(iterations),
      }),
    ).toBe(serverVerifier);
  });

  it("never sends the plaintext password in SQL; the stored verifier is the one sent", async () => {
    const current = await newUser();
    const pending = pendingConnectionJson(current, "single-user", "N3w-pass-" + randomPassword());
    const sent: string[] = [];
    const realQuery = Client.prototype.query as (...args: unknown[]) => unknown;
    const query = jest.spyOn(Client.prototype, "query").mockImplementation(function (
      this: Client,
      ...args: unknown[]
    ) {
      const config = args[0] as string | { text: string };
      sent.push(typeof config === "string" ? config : config.text);
      return realQuery.apply(this, args) as never;
    });
    try {
      expect(await applyPendingCredential({ current, pending, strategy: "single-user" })).toBe("applied");
    } finally {
      query.mockRestore();
    }
    const alter = sent.find((sql) => sql.startsWith("ALTER ROLE"))!;
    expect(sent.join("\n")).not.toContain(String(pending.password));
    const { rows } = await pg.query("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [current.login]);
    expect(alter).toBe(`ALTER ROLE "${current.login}" PASSWORD '${rows[0].rolpassword}'`);
  });

  it("round-trips literals through the server whatever standard_conforming_strings says", async () => {
    const nasty = `it's a \\ back'slash \\' and "quotes" $$ -- ;`;
    const client = await pg.connect();
    try {
      for (const setting of ["on", "off"]) {
        await client.query(`SET standard_conforming_strings = ${setting}`);
        await client.query("SET escape_string_warning = off");
        const { rows } = await client.query(`SELECT ${quoteLiteral(nasty)} AS value`);
        expect(rows[0].value).toBe(nasty);
      }
    } finally {
      await client.end();
    }
  });
});

describe("single user", () => {
  it("changes its own password, proves it by logging in, and the old password stops working", async () => {
    const current = await newUser();
    const pending = pendingConnectionJson(current, "single-user", randomPassword());
    expect(await applyPendingCredential({ current, pending, strategy: "single-user" })).toBe("applied");
    await verifyLogin(pending);
    expect(await canLogIn(pg, pending)).toBe(true);
    expect(await canLogIn(pg, current)).toBe(false);
    // A retry finds the pending password already working and changes nothing.
    expect(await applyPendingCredential({ current, pending, strategy: "single-user" })).toBe(
      "already-active",
    );
  });

  it("handles a login with quotes and spaces and a password with every quoting hazard", async () => {
    const role = `we"ird 'user ${process.pid}`;
    await createLoginRole(pg, role, "Start-Pass-1");
    const current = connectionJson(pg, role, "Start-Pass-1");
    const pending = pendingConnectionJson(current, "single-user", `'"\\/@\` $$;--%E'\\x00' OR 1=1`);
    expect(await applyPendingCredential({ current, pending, strategy: "single-user" })).toBe("applied");
    expect(await canLogIn(pg, pending)).toBe(true);
    expect(await canLogIn(pg, current)).toBe(false);
  });

  it("fails with AUTH_FAILED when the current password is wrong, naming no password", async () => {
    const current = { ...(await newUser()), password: "Wrong-Guess-123" };
    const pending = pendingConnectionJson(current, "single-user", "Next-Pass-456");
    const error = await rejection(applyPendingCredential({ current, pending, strategy: "single-user" }));
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.message).toContain("current secret");
    expect(error.message).not.toMatch(/Wrong-Guess|Next-Pass/);
  });

  it("refuses a pending secret pointing somewhere else", async () => {
    const current = await newUser();
    const pending = { ...pendingConnectionJson(current, "single-user", "x"), host: "elsewhere.example" };
    expect(
      (await rejection(applyPendingCredential({ current, pending, strategy: "single-user" }))).code,
    ).toBe("PENDING_MISMATCH");
    // Without a schema each login reaches the database named like it: a clone pending without one
    // would reach another database than the current secret does.
    const { schema: _schema, ...noSchema } = current;
    const unpinned = { ...noSchema, login: `${String(current.login)}_clone`, password: "x" };
    expect(
      (
        await rejection(
          applyPendingCredential({ current: noSchema, pending: unpinned, strategy: "alternating-users" }),
        )
      ).code,
    ).toBe("PENDING_MISMATCH");
    const otherLogin = { ...pendingConnectionJson(current, "single-user", "x"), login: "postgres" };
    expect(
      (await rejection(applyPendingCredential({ current, pending: otherLogin, strategy: "single-user" })))
        .code,
    ).toBe("PENDING_MISMATCH");
  });
});

describe("alternating users", () => {
  it("creates the clone with the original's attributes, memberships and object privileges", async () => {
    const current = await newUser("alt");
    const role = String(current.login);
    const group = uniqueRole("grp");
    await pg.query(`CREATE ROLE ${group} NOLOGIN`);
    await pg.query(`GRANT ${group} TO ${role} WITH ADMIN OPTION`);
    await pg.query(`ALTER ROLE ${role} CREATEDB CONNECTION LIMIT 7`);
    await pg.query(`CREATE TABLE ${role}_data (v int)`);
    await pg.query(`INSERT INTO ${role}_data VALUES (42)`);
    await pg.query(`GRANT SELECT ON ${role}_data TO ${role}`);

    const pending = pendingConnectionJson(current, "alternating-users", randomPassword());
    expect(pending.login).toBe(`${role}_clone`);
    const loadMaster = jest.fn(async () => master);
    expect(
      await applyPendingCredential({ current, pending, strategy: "alternating-users", loadMaster }),
    ).toBe("applied");

    const { rows } = await pg.query(
      `SELECT rolcanlogin, rolcreatedb, rolconnlimit, pg_has_role($1, $2, 'MEMBER') AS in_group,
              pg_has_role($1, $2, 'USAGE WITH ADMIN OPTION') AS group_admin, pg_has_role($1, $3, 'MEMBER') AS in_original
         FROM pg_roles WHERE rolname = $1`,
      [`${role}_clone`, group, role],
    );
    expect(rows[0]).toEqual({
      rolcanlogin: true,
      rolcreatedb: true,
      rolconnlimit: 7,
      in_group: true,
      group_admin: true,
      in_original: true,
    });
    const clone = await pg.connect(String(pending.login), String(pending.password));
    try {
      expect((await clone.query(`SELECT v FROM ${role}_data`)).rows).toEqual([{ v: 42 }]);
    } finally {
      await clone.end();
    }
    // The current login was not touched.
    expect(await canLogIn(pg, current)).toBe(true);
    // Retried: pending already works, the master is not even fetched.
    loadMaster.mockClear();
    expect(
      await applyPendingCredential({ current, pending, strategy: "alternating-users", loadMaster }),
    ).toBe("already-active");
    expect(loadMaster).not.toHaveBeenCalled();
  });

  it("flips back to the original login on the next rotation, leaving the clone working", async () => {
    const first = await newUser("flip");
    const second = pendingConnectionJson(first, "alternating-users", randomPassword());
    await applyPendingCredential({
      current: first,
      pending: second,
      strategy: "alternating-users",
      loadMaster: async () => master,
    });
    const third = pendingConnectionJson(second, "alternating-users", randomPassword());
    expect(third.login).toBe(first.login);
    expect(
      await applyPendingCredential({
        current: second,
        pending: third,
        strategy: "alternating-users",
        loadMaster: async () => master,
      }),
    ).toBe("applied");
    expect(await canLogIn(pg, third)).toBe(true);
    expect(await canLogIn(pg, second)).toBe(true);
    expect(await canLogIn(pg, first)).toBe(false);
  });

  it("quotes clone names built from unusual logins", async () => {
    const role = `Odd "Name" ${process.pid}`;
    await createLoginRole(pg, role, "Start-Pass-2");
    const current = connectionJson(pg, role, "Start-Pass-2");
    const pending = pendingConnectionJson(current, "alternating-users", `p'"\\@/\`w`);
    await applyPendingCredential({
      current,
      pending,
      strategy: "alternating-users",
      loadMaster: async () => master,
    });
    expect(await canLogIn(pg, pending)).toBe(true);
    expect(await canLogIn(pg, current)).toBe(true);
  });

  it("reports a master without CREATEROLE as PERMISSION_DENIED and changes nothing", async () => {
    const current = await newUser("perm");
    const weakMaster = await newUser("weak");
    const pending = pendingConnectionJson(current, "alternating-users", randomPassword());
    const error = await rejection(
      applyPendingCredential({
        current,
        pending,
        strategy: "alternating-users",
        loadMaster: async () => weakMaster,
      }),
    );
    expect(error.code).toBe("PERMISSION_DENIED");
    expect(error.message).toContain("master secret");
    const { rows } = await pg.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1", [
      pending.login,
    ]);
    expect(rows[0].n).toBe(0);
  });

  it("needs a master, and a master secret that is a usable connection", async () => {
    const current = await newUser();
    const pending = pendingConnectionJson(current, "alternating-users", randomPassword());
    expect(
      (await rejection(applyPendingCredential({ current, pending, strategy: "alternating-users" }))).code,
    ).toBe("INVALID_CONFIG");
    const mysqlMaster = { ...master, conn_type: "mysql" };
    const error = await rejection(
      applyPendingCredential({
        current,
        pending,
        strategy: "alternating-users",
        loadMaster: async () => mysqlMaster,
      }),
    );
    expect(error.code).toBe("UNSUPPORTED_CONN_TYPE");
  });

  it("reports a missing original role as ROLE_NOT_FOUND", async () => {
    const connection = readDatabaseConnection(master, "master secret");
    const session = await connection.driver.open(connection);
    try {
      expect((await rejection(session.ensureClone("no_such_role", "no_such_role_clone"))).code).toBe(
        "ROLE_NOT_FOUND",
      );
    } finally {
      await session.close();
    }
  });
});

describe("reaching the server", () => {
  it("honours sslmode: disable and prefer connect to a server without TLS, require refuses it", async () => {
    const user = await newUser();
    await verifyLogin({ ...user, extra: '{"sslmode":"disable"}' });
    await verifyLogin({ ...user, extra: '{"sslmode":"prefer"}' });
    const error = await rejection(verifyLogin({ ...user, extra: '{"sslmode":"require"}' }));
    expect(error.code).toBe("DB_UNREACHABLE");
    expect(error.message).toMatch(/SSL/);
    expect((await rejection(verifyLogin({ ...user, extra: '{"sslmode":"verify-full"}' }))).code).toBe(
      "DB_UNREACHABLE",
    );
  });

  it("reports a closed port as DB_UNREACHABLE", async () => {
    const user: AirflowConnectionJson = { ...(await newUser()), port: await freePort() };
    const error = await rejection(verifyLogin(user, "pending secret"));
    expect(error.code).toBe("DB_UNREACHABLE");
    expect(error.message).toContain("pending secret");
    expect(error.message).not.toContain(String(user.password));
  });

  it("reports a wrong password as AUTH_FAILED", async () => {
    const user = await newUser();
    expect((await rejection(verifyLogin({ ...user, password: "not-it" }))).code).toBe("AUTH_FAILED");
  });
});
