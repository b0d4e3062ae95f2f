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
  const fields: Record<string, string | number> = {};
  const put = (key: AirflowConnectionField, value: string | number | undefined) => {
    if (value === undefined || value === "" || !keep.includes(key)) return;
    fields[key] = value;
  };
  put("conn_type", conn.conn_type);
  put("description", conn.description);
  put("host", conn.host);
  put("port", conn.port);
  put("schema", conn.schema);
  put("login", conn.login);
  put("password", conn.password);
  if (conn.extra !== undefined && Object.keys(conn.extra).length > 0) put("extra", stableJson(conn.extra));
  return fields;
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

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** The file `airflow connections import` accepts: `{conn_id: {field: value}}` (JSON). */
export function connectionsImportFile(connections: Record<string, ResolvedConnection>): string {
  const body = Object.fromEntries(
    Object.keys(connections)
      .sort()
      .map((id) => [id, connectionFields(connections[id])]),
  );
  return JSON.stringify(body, null, 2) + "\n";
}

/** UTF-8 size of a value, which is what every store's size limit counts. */
export function utf8Bytes(value: string): number {
  return Buffer.byteLength(value, "utf8");
}
