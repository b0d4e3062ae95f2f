/**
 * Recognising a stored Airflow connection from the value a store holds, in every form Airflow's
 * backends read: a JSON object of connection fields (AWS remaps `conn_type`, `connection_type`,
 * `engine`), Vault's `{"conn_uri": …}`, or a connection URI whose scheme is the conn type with
 * `_` written as `-`.
 */
import { isRecord, jsonDocument } from "./values";

const TYPE_KEYS = ["conn_type", "connection_type", "engine"];

function typeFromUri(uri: string): string | undefined {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(uri.trim());
  return match ? match[1].replace(/-/g, "_").toLowerCase() : undefined;
}

/** The conn type of a stored connection value, or undefined when the value is not a connection. */
export function connectionType(stored: unknown): string | undefined {
  if (typeof stored === "string") {
    const trimmed = stored.trim();
    if (!trimmed.startsWith("{")) return typeFromUri(trimmed);
  }
  const document = jsonDocument(stored);
  if (!isRecord(document)) return undefined;
  for (const key of TYPE_KEYS) {
    const value = document[key];
    if (typeof value === "string" && value !== "") return value.toLowerCase();
  }
  return typeof document.conn_uri === "string" ? typeFromUri(document.conn_uri) : undefined;
}

/** The login a stored connection uses (JSON `login`/`user`/`username`, or the URI's user part). */
export function connectionLogin(stored: unknown): string | undefined {
  const document = jsonDocument(stored);
  if (isRecord(document)) {
    for (const key of ["login", "user", "username", "user_name"]) {
      if (typeof document[key] === "string") return document[key] as string;
    }
    if (typeof document.conn_uri === "string") return connectionLogin(document.conn_uri);
    return undefined;
  }
  if (typeof stored !== "string") return undefined;
  try {
    const login = new URL(stored.trim()).username;
    return login ? decodeURIComponent(login) : undefined;
  } catch {
    return undefined;
  }
}
