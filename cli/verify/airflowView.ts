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
import { BackendKind } from "../../components/airflow";
import { parseAirflowUri } from "../import/airflowUri";

/** Field → text. Connections: conn_type, host, port, schema, login, password, description, and `extra.<path>` per extra leaf. */
export type AirflowView = Record<string, string>;

export class UnreadableValue extends Error {}

/** Secrets Manager's accepted spellings of each connection field, in the order Airflow tries them. */
const AWS_KEY_ALIASES: Record<string, readonly string[]> = {
  conn_type: ["conn_type", "conn_id", "connection_type", "engine"],
  login: ["login", "user", "username", "user_name"],
  password: ["password", "pass", "key"],
  host: ["host", "remote_host", "server"],
  port: ["port"],
  schema: ["schema", "database"],
  extra: ["extra"],
};

/** Vault's `Connection(conn_id, **response)` takes exactly these keys; any other makes the lookup fail. */
const VAULT_FIELD_KEYS = new Set([
  "conn_type",
  "description",
  "host",
  "login",
  "password",
  "schema",
  "port",
  "extra",
]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Flattens `extra` (a JSON text or an object) into `extra.<path>` leaves; a non-JSON text stays `extra`. */
function flattenExtra(extra: unknown, view: AirflowView): void {
  if (extra === undefined || extra === null || extra === "") return;
  let parsed: unknown = extra;
  if (typeof extra === "string") {
    try {
      parsed = JSON.parse(extra);
    } catch {
      view.extra = extra;
      return;
    }
  }
  const walk = (value: unknown, at: string) => {
    if (isRecord(value) && Object.keys(value).length > 0) {
      for (const [key, item] of Object.entries(value)) walk(item, `${at}.${key}`);
    } else view[at] = typeof value === "string" ? value : JSON.stringify(value);
  };
  if (isRecord(parsed)) {
    for (const [key, item] of Object.entries(parsed)) walk(item, `extra.${key}`);
  } else view.extra = typeof parsed === "string" ? parsed : JSON.stringify(parsed);
}

function fromFields(fields: Record<string, unknown>): AirflowView {
  const view: AirflowView = {};
  for (const key of ["conn_type", "description", "host", "port", "schema", "login", "password"]) {
    const value = fields[key];
    if (value === undefined || value === null || value === "") continue;
    view[key] = String(value);
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
  return fromFields({ ...fields, port: fields.port ?? undefined });
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
    if (typeof data.conn_uri === "string") return fromUri(data.conn_uri);
    const unknown = Object.keys(data).filter((key) => !VAULT_FIELD_KEYS.has(key));
    if (unknown.length > 0)
      throw new UnreadableValue(
        `the KV data has keys Airflow's Connection does not take: ${unknown.join(", ")}`,
      );
    return fromFields(data);
  }
  if (!stored.trimStart().startsWith("{")) return fromUri(stored);
  const data = parseJsonObject(stored, "the value");
  if (kind !== "aws-secrets-manager") return fromFields(data);
  const standardized: Record<string, unknown> = {};
  for (const [field, aliases] of Object.entries(AWS_KEY_ALIASES)) {
    const key = aliases.find((alias) => data[alias] !== undefined);
    if (key !== undefined) standardized[field] = data[key];
  }
  return fromFields(standardized);
}

/** Airflow's view of a stored variable or config value: the text it returns. */
export function scalarText(kind: BackendKind, stored: string): string {
  if (kind !== "vault") return stored;
  const data = parseJsonObject(stored, "the KV data");
  if (!("value" in data)) throw new UnreadableValue('the KV data has no "value" key');
  return typeof data.value === "string" ? data.value : JSON.stringify(data.value);
}
