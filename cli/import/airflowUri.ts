/**
 * How Airflow reads a connection URI (`Connection._parse_from_uri`, apache/airflow
 * airflow-core/src/airflow/models/connection.py, same in 2.x `airflow/models/connection.py`), on top
 * of Python's `urllib.parse.urlsplit`, `unquote` and `parse_qsl` (CPython 3.11 `Lib/urllib/parse.py`).
 * Restated so an export's `conn_id=<uri>` lines import as exactly what Airflow had; tests compare
 * every case with Python's own urllib.
 */

export interface AirflowUriFields {
  conn_type: string;
  host: string;
  schema: string;
  login: string | null;
  password: string | null;
  port: number | null;
  /** The raw extra string (JSON), or null. */
  extra: string | null;
}

const SCHEME_CHARS = /^[A-Za-z0-9+\-.]+$/;

/** `unquote(s, errors="replace")`: %XX runs decoded as UTF-8, invalid sequences become U+FFFD. */
export function pyUnquote(value: string): string {
  if (!value.includes("%")) return value;
  let out = "";
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) out += new TextDecoder("utf-8", { fatal: false }).decode(Uint8Array.from(bytes));
    bytes = [];
  };
  for (let i = 0; i < value.length;) {
    if (value[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      flush();
      out += value[i];
      i += 1;
    }
  }
  flush();
  return out;
}

/** `parse_qsl(query, keep_blank_values=True)` as a dict (the last value of a repeated name wins). */
export function pyParseQs(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of query ? query.split("&") : []) {
    if (!pair) continue;
    const cut = pair.indexOf("=");
    const name = cut < 0 ? pair : pair.slice(0, cut);
    const value = cut < 0 ? "" : pair.slice(cut + 1);
    out[pyUnquote(name.replace(/\+/g, " "))] = pyUnquote(value.replace(/\+/g, " "));
  }
  return out;
}

interface SplitUrl {
  scheme: string;
  netloc: string;
  path: string;
  query: string;
}

/** `urlsplit(url)` (no default scheme, fragments allowed). */
export function pyUrlSplit(input: string): SplitUrl {
  let url = input.replace(/^[\u0000-\u0020]+/, "").replace(/[\t\r\n]/g, "");
  let scheme = "";
  let netloc = "";
  let query = "";
  const colon = url.indexOf(":");
  if (colon > 0 && /^[A-Za-z]$/.test(url[0]) && SCHEME_CHARS.test(url.slice(0, colon))) {
    scheme = url.slice(0, colon).toLowerCase();
    url = url.slice(colon + 1);
  }
  if (url.startsWith("//")) {
    let end = url.length;
    for (const delimiter of ["/", "?", "#"]) {
      const at = url.indexOf(delimiter, 2);
      if (at >= 0) end = Math.min(end, at);
    }
    netloc = url.slice(2, end);
    url = url.slice(end);
    if (netloc.includes("[") !== netloc.includes("]")) throw new Error("Invalid IPv6 URL");
  }
  const hash = url.indexOf("#");
  if (hash >= 0) url = url.slice(0, hash);
  const question = url.indexOf("?");
  if (question >= 0) {
    query = url.slice(question + 1);
    url = url.slice(0, question);
  }
  return { scheme, netloc, path: url, query };
}

/** `SplitResult._userinfo`: username and password (None when absent). */
function userinfo(netloc: string): { username: string | null; password: string | null } {
  const at = netloc.lastIndexOf("@");
  if (at < 0) return { username: null, password: null };
  const info = netloc.slice(0, at);
  const colon = info.indexOf(":");
  return colon < 0
    ? { username: info, password: null }
    : { username: info.slice(0, colon), password: info.slice(colon + 1) };
}

/** `SplitResult._hostinfo` + `.hostname` (lower-cased up to a `%`) + `.port` (validated). */
function hostinfo(netloc: string): { hostname: string | null; port: number | null } {
  const hostPart = netloc.slice(netloc.lastIndexOf("@") + 1);
  let hostname: string;
  let port: string;
  const open = hostPart.indexOf("[");
  if (open >= 0) {
    const bracketed = hostPart.slice(open + 1);
    const close = bracketed.indexOf("]");
    hostname = close < 0 ? bracketed : bracketed.slice(0, close);
    const after = close < 0 ? "" : bracketed.slice(close + 1);
    const colon = after.indexOf(":");
    port = colon < 0 ? "" : after.slice(colon + 1);
  } else {
    const colon = hostPart.indexOf(":");
    hostname = colon < 0 ? hostPart : hostPart.slice(0, colon);
    port = colon < 0 ? "" : hostPart.slice(colon + 1);
  }
  let host: string | null = null;
  if (hostname) {
    const percent = hostname.indexOf("%");
    host =
      percent < 0
        ? hostname.toLowerCase()
        : hostname.slice(0, percent).toLowerCase() + hostname.slice(percent);
  }
  let portNumber: number | null = null;
  if (port) {
    if (!/^[0-9]+$/.test(port)) throw new Error("the port is not an integer");
    portNumber = parseInt(port, 10);
    if (portNumber > 65535) throw new Error("Port out of range 0-65535");
  }
  return { hostname: host, port: portNumber };
}

/** `Connection._normalize_conn_type`. */
export function normalizeConnType(connType: string): string {
  if (connType === "postgresql") return "postgres";
  return connType.replace(/-/g, "_");
}

/** `Connection._parse_from_uri`: the fields Airflow sets from a connection URI. Throws where Airflow raises. */
export function parseAirflowUri(uri: string): AirflowUriFields {
  const schemes = uri.split("://").length - 1;
  if (schemes > 2) throw new Error('invalid connection URI: more than two "://"');
  const withProtocol = schemes === 2;
  const connType = pyUrlSplit(uri).scheme;
  const rest = uri.split(`${connType}://`).join(withProtocol ? "" : "//");
  if (withProtocol) {
    const head = rest.split("://", 1)[0];
    if (head.includes("@") || head.includes(":"))
      throw new Error("invalid connection URI: credentials before the host's protocol");
  }
  const parts = pyUrlSplit(rest);
  const { username, password } = userinfo(parts.netloc);
  const { hostname, port } = hostinfo(parts.netloc);
  let host = pyUnquote(hostname ?? "");
  if (host.includes("/")) {
    host = parts.netloc;
    if (host.includes("@")) host = host.slice(host.lastIndexOf("@") + 1);
    if (host.includes(":")) host = host.slice(0, host.indexOf(":"));
    host = pyUnquote(host);
  }
  if (host && withProtocol) host = `${parts.scheme}://${host}`;
  const quotedSchema = parts.path.slice(1);
  let extra: string | null = null;
  if (parts.query) {
    const query = pyParseQs(parts.query);
    extra = "__extra__" in query ? query.__extra__ : pythonJsonDumps(query);
  }
  return {
    conn_type: normalizeConnType(connType),
    host,
    schema: quotedSchema ? pyUnquote(quotedSchema) : quotedSchema,
    login: username ? pyUnquote(username) : username,
    password: password ? pyUnquote(password) : password,
    port,
    extra,
  };
}

/** Python's `json.dumps(value)` (default separators, ensure_ascii), which Airflow uses for extras and variables. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : pythonFloat(value);
  if (typeof value === "string")
    return JSON.stringify(value).replace(
      /[\u0080-\uffff]/g,
      (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(", ")}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`)
    .join(", ")}}`;
}

function pythonFloat(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  const text = String(value);
  return /e/.test(text) ? text.replace(/e([+-])(\d)$/, "e$10$2") : text;
}
