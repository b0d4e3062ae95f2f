/**
 * What Airflow makes of a stored value, as a flat map of field → text, so a declared and a stored value
 * are compared the way Airflow would read them (key order, URI quoting, remapped keys do not count)
 * and a difference is reported by field name, never by value.
 *
 * The parsing follows Airflow's backends (apache/airflow, providers tag providers-amazon/9.0.0 and
 * Airflow 2.10.x): `Connection.from_json` / `Connection(uri=…)` for JSON and URI values
 * (airflow/models/connection.py); Vault's `{conn_uri}` or field map (providers/hashicorp/secrets/vault.py,
 * `get_connection`); Secrets Manager's `_standardize_secret_keys` remapping
 * (providers/amazon/aws/secrets/secrets_manager.py); variables and config as the raw string, or
 * Vault's `value` key.
 */
import { AIRFLOW_CONNECTION_FIELDS, BackendKind } from "../../components/airflow";
import { normalizeConnType, parseAirflowUri } from "../import/airflowUri";
import { extraObject } from "../import/exportFile";

/** Field → text. Connections: conn_type, host, port, schema, login, password, description, and `extra.<path>` per extra leaf. */
export type AirflowView = Record<string, string>;

export class UnreadableValue extends Error {}

/** Secrets Manager's accepted spellings of each connection field (`_standardize_secret_keys`). */
const AWS_KEY_ALIASES: Record<string, readonly string[]> = {
  login: ["login", "user", "username", "user_name"],
  password: ["password", "pass", "key"],
  host: ["host", "remote_host", "server"],
  port: ["port"],
  schema: ["database", "schema"],
  conn_type: ["conn_type", "conn_id", "connection_type", "engine"],
  extra: ["extra"],
};

/** The keyword arguments `Connection(...)` takes besides conn_id and uri; any other is a TypeError. */
const CONNECTION_KEYS = new Set<string>(AIRFLOW_CONNECTION_FIELDS);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Python's truthiness for JSON values. */
const truthy = (value: unknown) =>
  !(value === null || value === undefined || value === false || value === 0 || value === "") &&
  !(Array.isArray(value) && value.length === 0) &&
  !(isRecord(value) && Object.keys(value).length === 0);

/** An extra is compared by its parsed leaves (`extra.<path>`), so its key order and spacing do not count. */
function flattenExtra(extra: unknown, view: AirflowView): void {
  if (!truthy(extra)) return;
  const parsed = extraObject(extra);
  if (typeof parsed === "string") throw new UnreadableValue(`extra is ${parsed}`);
  const walk = (value: unknown, at: string) => {
    if (isRecord(value) && Object.keys(value).length > 0) {
      for (const [key, item] of Object.entries(value)) walk(item, `${at}.${key}`);
    } else view[at] = typeof value === "string" ? value : JSON.stringify(value);
  };
  for (const [key, item] of Object.entries(parsed)) walk(item, `extra.${key}`);
}

/** `Connection(conn_id, **fields)`: unknown keys fail; the fields Airflow holds, as text. */
export function fieldsView(fields: Record<string, unknown>): AirflowView {
  const unknown = Object.keys(fields).filter((key) => !CONNECTION_KEYS.has(key));
  if (unknown.length > 0)
    // Counted, not named: the stored value's own text is never echoed.
    throw new UnreadableValue(`${unknown.length} key(s) Airflow's Connection does not take`);
  const view: AirflowView = {};
  for (const key of ["conn_type", "description", "host", "port", "schema", "login", "password"]) {
    const value = fields[key];
    if (value === undefined || value === null || value === "") continue;
    view[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  flattenExtra(fields.extra, view);
  return view;
}

function fromUri(uri: string): AirflowView {
  let fields;
  try {
    fields = parseAirflowUri(uri);
  } catch {
    throw new UnreadableValue("not a connection URI Airflow can parse");
  }
  return fieldsView({ ...fields });
}

/** Python's `int(value)` for what JSON can hold; undefined where it raises. */
function pythonInt(value: unknown): number | undefined {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === "string" && /^\s*[+-]?\d+(_\d+)*\s*$/.test(value))
    return Number(value.trim().replace(/_/g, ""));
  return undefined;
}

/** `Connection.from_json`: extra, conn_type and port are kept only when truthy; port goes through int(). */
function fromJsonKwargs(kwargs: Record<string, unknown>): AirflowView {
  const fields: Record<string, unknown> = { ...kwargs };
  for (const key of ["extra", "conn_type", "port"]) if (!truthy(fields[key])) delete fields[key];
  if (typeof fields.conn_type === "string") fields.conn_type = normalizeConnType(fields.conn_type);
  if (fields.port !== undefined) {
    const port = pythonInt(fields.port);
    if (port === undefined) throw new UnreadableValue("port is not a whole number");
    fields.port = port;
  }
  return fieldsView(fields);
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UnreadableValue(`${what} is not valid JSON`);
  }
  if (!isRecord(parsed)) throw new UnreadableValue(`${what} is not a JSON object`);
  return parsed;
}

/** Airflow's view of a stored connection. `stored` is the raw value (Vault: the KV data map as JSON). */
export function connectionView(kind: BackendKind, stored: string): AirflowView {
  if (kind === "vault") {
    const data = parseJsonObject(stored, "the KV data");
    if (truthy(data.conn_uri)) {
      if (typeof data.conn_uri !== "string") throw new UnreadableValue("conn_uri is not a text");
      return fromUri(data.conn_uri);
    }
    return fieldsView(data);
  }
  // `BaseSecretsBackend.deserialize_connection`: stripped, then JSON when it starts with "{", else a URI.
  const value = stored.trim();
  if (value === "") throw new UnreadableValue("the value is empty");
  if (!value.startsWith("{")) return fromUri(value);
  const data = parseJsonObject(value, "the value");
  if (kind !== "aws-secrets-manager") return fromJsonKwargs(data);
  // The first key of the stored object that spells a field wins, as `_standardize_secret_keys` reads it.
  const standardized: Record<string, unknown> = {};
  for (const [field, aliases] of Object.entries(AWS_KEY_ALIASES)) {
    const key = Object.keys(data).find((k) => aliases.includes(k));
    if (key !== undefined) standardized[field] = data[key];
  }
  return fromJsonKwargs(standardized);
}

/** Airflow's view of a stored variable or config value: the text it returns. */
export function scalarText(kind: BackendKind, stored: string): string {
  if (kind !== "vault") return stored;
  const data = parseJsonObject(stored, "the KV data");
  if (!("value" in data)) throw new UnreadableValue('the KV data has no "value" key');
  return typeof data.value === "string" ? data.value : JSON.stringify(data.value);
}
