/**
 * Serialisation of resolved (plain) values into exactly what Airflow parses. Pure functions: the
 * Pulumi-aware layer (`plan.ts`) resolves inputs and wraps the results as secrets.
 */

/** A connection with every input resolved. */
export interface ResolvedConnection {
  conn_type: string;
  description?: string;
  host?: string;
  port?: number;
  schema?: string;
  login?: string;
  password?: string;
  extra?: Record<string, unknown>;
}

/** The only keys `Connection(**fields)` / `Connection.from_json` accept besides conn_id and uri. */
export const AIRFLOW_CONNECTION_FIELDS = [
  "conn_type",
  "description",
  "host",
  "port",
  "schema",
  "login",
  "password",
  "extra",
] as const;
export type AirflowConnectionField = (typeof AIRFLOW_CONNECTION_FIELDS)[number];

/**
 * The connection as the field map Airflow builds a `Connection` from. Absent and empty fields are
 * omitted; `extra` is a JSON *string* because every Airflow version accepts that (older
 * `Connection(**fields)` code paths do not accept a dict).
 */
export function connectionFields(
  conn: ResolvedConnection,
  keep: readonly AirflowConnectionField[] = AIRFLOW_CONNECTION_FIELDS,
): Record<string, string | number> {
  // Straight-line (no closure, no list lookup for the full field list): it runs once per connection
  // for the stored value and once more for the import file, thousands of times per synth.
  const all = keep === AIRFLOW_CONNECTION_FIELDS;
  const fields: Record<string, string | number> = {};
  if (present(conn.conn_type) && (all || keep.includes("conn_type"))) fields.conn_type = conn.conn_type;
  if (present(conn.description) && (all || keep.includes("description")))
    fields.description = conn.description;
  if (present(conn.host) && (all || keep.includes("host"))) fields.host = conn.host;
  if (present(conn.port) && (all || keep.includes("port"))) fields.port = conn.port;
  if (present(conn.schema) && (all || keep.includes("schema"))) fields.schema = conn.schema;
  if (present(conn.login) && (all || keep.includes("login"))) fields.login = conn.login;
  if (present(conn.password) && (all || keep.includes("password"))) fields.password = conn.password;
  if (conn.extra !== undefined && Object.keys(conn.extra).length > 0 && (all || keep.includes("extra")))
    fields.extra = stableJson(conn.extra);
  return fields;
}

/** A field Airflow would read back: absent and empty values are omitted. */
function present<T extends string | number>(value: T | undefined): value is T {
  return value !== undefined && value !== "";
}

/** Airflow's JSON connection form (Airflow ≥ 2.3), keys in a fixed order so the value is byte-stable. */
export function connectionToJson(
  conn: ResolvedConnection,
  keep: readonly AirflowConnectionField[] = AIRFLOW_CONNECTION_FIELDS,
): string {
  return JSON.stringify(connectionFields(conn, keep));
}

/** Python's `urllib.parse.quote(s, safe="")`: every byte except `A-Za-z0-9_.-~` is percent-encoded. */
export function quoteAll(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Python's `quote_plus(s, safe="")`, which `urlencode` applies to keys and values. */
function quotePlus(value: string): string {
  return quoteAll(value).replace(/%20/g, "+");
}

function urlencode(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`)
    .join("&");
}

/**
 * Airflow's URI form, as `Connection.get_uri()` writes it and `_parse_from_uri` reads it back:
 * scheme = conn_type with `_` as `-`; login, password, host and schema percent-encoded with nothing
 * safe; extras as query parameters only when every value is a string (they round-trip through
 * `parse_qsl` only then), otherwise one `__extra__=<json>` parameter.
 */
export function connectionToUri(conn: ResolvedConnection): string {
  let uri = `${conn.conn_type.toLowerCase().replace(/_/g, "-")}://`;
  let authority = "";
  if (conn.login) authority += quoteAll(conn.login);
  if (conn.password) authority += `:${quoteAll(conn.password)}`;
  if (authority) authority += "@";
  if (conn.host) authority += quoteAll(conn.host);
  if (conn.port) authority += `:${conn.port}`;
  if (conn.schema) authority += `/${quoteAll(conn.schema)}`;
  uri += authority;
  const extra = conn.extra ?? {};
  if (Object.keys(extra).length > 0) {
    const allStrings = Object.values(extra).every((v) => typeof v === "string");
    const query = allStrings
      ? urlencode(extra as Record<string, string>)
      : urlencode({ __extra__: stableJson(extra) });
    uri += (conn.schema ? "?" : "/?") + query;
  }
  return uri;
}

/** JSON with object keys sorted at every depth, so equal values serialise to equal bytes. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/**
 * The value with object keys sorted at every depth. A plain object or array already in that order is
 * returned as it is (JSON.stringify writes it the same), so the usual small, sorted `extra` costs no
 * copy; anything else is rebuilt as before.
 */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item) => {
      const sorted = sortKeys(item);
      if (sorted !== item) changed = true;
      return sorted;
    });
    return changed ? items : value;
  }
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    const proto = Object.getPrototypeOf(record);
    // Only a plain object may stand for itself: a class instance (a Date) is rebuilt from its own keys.
    let same = proto === Object.prototype || proto === null;
    for (let i = 1; same && i < keys.length; i++) if (keys[i - 1] > keys[i]) same = false;
    const sortedKeys = same ? keys : [...keys].sort();
    const entries = sortedKeys.map((k): [string, unknown] => {
      const item = record[k];
      const sorted = sortKeys(item);
      if (sorted !== item) same = false;
      return [k, sorted];
    });
    return same ? value : Object.fromEntries(entries);
  }
  return value;
}

/** The file `airflow connections import` accepts: `{conn_id: {field: value}}` (JSON). */
export function connectionsImportFile(connections: Record<string, ResolvedConnection>): string {
  return connectionsImportFileOf(Object.keys(connections).map((id) => [id, connections[id]]));
}

/**
 * The same file from `[conn_id, connection]` pairs (distinct ids), without building the map first.
 * The ids go into an object with no prototype in sorted order, so it holds them as the former
 * `Object.fromEntries` did (array-index ids first, `__proto__` as a key like any other), and one
 * `JSON.stringify` writes it: the same bytes, with no per-connection strings to join.
 */
export function connectionsImportFileOf(
  connections: ReadonlyArray<readonly [string, ResolvedConnection]>,
): string {
  const byId = new Map(connections);
  const body: Record<string, Record<string, string | number>> = Object.create(null);
  // The default sort compares strings by UTF-16 code unit, as `Object.keys(…).sort()` did.
  for (const id of [...byId.keys()].sort()) body[id] = connectionFields(byId.get(id)!);
  return JSON.stringify(body, null, 2) + "\n";
}

/** UTF-8 size of a value, which is what every store's size limit counts. */
export function utf8Bytes(value: string): number {
  return Buffer.byteLength(value, "utf8");
}
