import {
  ResolvedConnection,
  connectionToJson,
  connectionToUri,
  connectionsImportFile,
  quoteAll,
  backendProfile,
} from "../../components/airflow";
import { askPython } from "../support/airflowSemantics";

/** Passwords that break naive URI or JSON building: every reserved character, quotes, backslash, non-ASCII. */
const NASTY_PASSWORDS = [
  "p@ss:w/rd",
  "100%",
  "hash#tag?query&x=y+z",
  "with space",
  `quote'double"back\\slash`,
  "all@:/%#?&=+ '\"\\",
  "unicodé-пароль-密码-🔑",
  "trailing=",
  "~tilde_under-dash.dot",
];

function expectedFields(conn: ResolvedConnection) {
  return {
    conn_type: conn.conn_type.replace(/-/g, "_"),
    host: conn.host ?? "",
    schema: conn.schema ?? "",
    login: conn.login ?? null,
    password: conn.password ?? null,
    port: conn.port ?? null,
  };
}

describe("URI form, parsed by Python's urllib the way Connection._parse_from_uri does", () => {
  const connections: ResolvedConnection[] = NASTY_PASSWORDS.map((password, i) => ({
    conn_type: "postgres",
    host: `db${i}.example.internal`,
    port: 5432,
    schema: `ware/house ${i}`,
    login: `user:${i}@corp`,
    password,
  }));

  it("round-trips login, password, host, schema and port for every nasty password", () => {
    const answers = askPython(connections.map((c) => ({ op: "uri" as const, value: connectionToUri(c) })));
    answers.forEach((answer, i) => {
      expect(answer.error).toBeUndefined();
      expect(answer.ok).toMatchObject(expectedFields(connections[i]));
    });
  });

  it("writes conn_type with - for _ and Airflow reads it back with _", () => {
    const conn = { conn_type: "google_cloud_platform", host: "x" };
    expect(connectionToUri(conn)).toMatch(/^google-cloud-platform:\/\//);
    expect(askPython([{ op: "uri", value: connectionToUri(conn) }])[0].ok).toMatchObject({
      conn_type: "google_cloud_platform",
    });
  });

  it("puts string-only extras in the query and they come back as the same dict", () => {
    const conn = {
      conn_type: "http",
      host: "api.example.com",
      extra: { token: "a b&c=d", region: "eu-west-1" },
    };
    const uri = connectionToUri(conn);
    expect(uri).not.toContain("__extra__");
    const fields = askPython([{ op: "uri", value: uri }])[0].ok as { extra: string };
    expect(JSON.parse(fields.extra)).toEqual(conn.extra);
  });

  it("uses __extra__ when extras are not all strings, and they come back exactly", () => {
    const conn = {
      conn_type: "aws",
      extra: { region_name: "us-east-1", retries: 3, nested: { a: [1, "two"] }, flag: true },
    };
    const uri = connectionToUri(conn);
    expect(uri).toContain("__extra__=");
    const fields = askPython([{ op: "uri", value: uri }])[0].ok as { extra: string };
    expect(JSON.parse(fields.extra)).toEqual(conn.extra);
  });

  it("lower-cases the host on parse (Airflow's urlsplit does), so mixed-case hosts are stored lower-case-safe", () => {
    const uri = connectionToUri({ conn_type: "postgres", host: "DB.Example.COM", port: 1 });
    expect((askPython([{ op: "uri", value: uri }])[0].ok as { host: string }).host).toBe("db.example.com");
  });

  it("quotes like Python's quote(safe='') — nothing but A-Za-z0-9_.-~ is left bare", () => {
    expect(quoteAll("a!'()*~_.-b c/")).toBe("a%21%27%28%29%2A~_.-b%20c%2F");
  });
});

describe("JSON form, read by Connection.from_json", () => {
  it("round-trips every field including nasty passwords and a structured extra", () => {
    const conns: ResolvedConnection[] = NASTY_PASSWORDS.map((password) => ({
      conn_type: "postgres",
      description: "d",
      host: "h",
      port: 6543,
      schema: "s",
      login: "l",
      password,
      extra: { sslmode: "verify-full", options: { statement_timeout: 30 } },
    }));
    const answers = askPython(conns.map((c) => ({ op: "json" as const, value: connectionToJson(c) })));
    answers.forEach((answer, i) => {
      expect(answer.error).toBeUndefined();
      const { extra, ...rest } = answer.ok as Record<string, unknown>;
      expect(rest).toEqual({
        conn_type: "postgres",
        description: "d",
        host: "h",
        port: 6543,
        schema: "s",
        login: "l",
        password: conns[i].password,
      });
      expect(JSON.parse(extra as string)).toEqual(conns[i].extra);
    });
  });

  it("writes only keys Airflow accepts; an unknown key would be a TypeError in Connection(**kwargs)", () => {
    const json = connectionToJson({ conn_type: "http", host: "h", extra: { a: "b" } });
    expect(Object.keys(JSON.parse(json)).sort()).toEqual(["conn_type", "extra", "host"]);
    expect(askPython([{ op: "json", value: '{"conn_type":"http","conn_id":"x"}' }])[0].error).toMatch(
      /TypeError/,
    );
  });

  it("for AWS never writes conn_id (read as the type) nor description (dropped by the backend)", () => {
    const aws = backendProfile("aws-secrets-manager");
    const json = aws.encodeConnection(
      { conn_type: "postgres", description: "d", host: "h", password: "p" },
      "json",
    );
    expect(JSON.parse(json)).toEqual({ conn_type: "postgres", host: "h", password: "p" });
  });

  it("is byte-stable: extras are key-sorted at every depth", () => {
    const a = connectionToJson({ conn_type: "x", extra: { b: 1, a: { d: 1, c: 2 } } });
    const b = connectionToJson({ conn_type: "x", extra: { a: { c: 2, d: 1 }, b: 1 } });
    expect(a).toBe(b);
  });
});

describe("the `airflow connections import` file", () => {
  it("maps conn_id to fields, sorted, with Airflow's keys only", () => {
    const file = connectionsImportFile({
      zeta: { conn_type: "http", host: "z" },
      alpha: { conn_type: "postgres", host: "a", port: 5432, password: "p w" },
    });
    const parsed = JSON.parse(file);
    expect(Object.keys(parsed)).toEqual(["alpha", "zeta"]);
    expect(parsed.alpha).toEqual({ conn_type: "postgres", host: "a", port: 5432, password: "p w" });
  });
});
