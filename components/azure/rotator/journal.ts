/**
 * Where the rotator keeps a pending credential while a rotation is in flight (the journal), so a
 * rotation that dies between the database change and the secret write is finished by the next
 * delivery instead of locking Airflow out.
 *
 * Deployed, journals are blobs in the `rotation-journals` container of the rotator's own storage
 * account (the Functions host's storage, which the rotator's identity already owns): nothing is
 * declared per connection, no reader or writer of the vault Airflow reads is granted anything, and
 * the function reaches them the way its host already does. A journal that does not exist is idle
 * (first use). Pulumi-free: bundled into the function. Error messages name the journal and the
 * status, never a value.
 */
import type { AirflowConnectionJson } from "../../rotation/connection";
import type { TokenProvider } from "./keyVaultClient";

/** The blob container the rotator keeps journals in (in its own storage account). */
export const JOURNAL_CONTAINER = "rotation-journals";
/** The blob service API version (OAuth bearer tokens need 2017-11-09 or later). */
export const BLOB_API_VERSION = "2021-08-06";
/** The token audience of Azure Storage. */
export const STORAGE_RESOURCE = "https://storage.azure.com";

export type JournalEntry =
  | { state: "idle" }
  /** `rotationOf`: the version of the secret the pending credential replaces. */
  | { state: "pending"; secret: string; rotationOf: string; pending: AirflowConnectionJson };

export interface JournalStore {
  /** The journal, or undefined when there is none yet (idle). */
  read(name: string): Promise<JournalEntry | undefined>;
  write(name: string, entry: JournalEntry, options: { expiresOn: Date; secret: string }): Promise<void>;
}

/** What a journal blob holds: the entry as JSON. */
export function encodeJournal(entry: JournalEntry): string {
  return JSON.stringify(entry);
}

export function decodeJournal(text: string, label: string): JournalEntry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${label} is not JSON`);
  }
  const v = (value ?? {}) as Record<string, unknown>;
  if (v.state === "idle") return { state: "idle" };
  if (
    v.state === "pending" &&
    typeof v.secret === "string" &&
    typeof v.rotationOf === "string" &&
    v.rotationOf !== "" &&
    v.pending !== null &&
    typeof v.pending === "object" &&
    !Array.isArray(v.pending)
  )
    return {
      state: "pending",
      secret: v.secret,
      rotationOf: v.rotationOf,
      pending: v.pending as AirflowConnectionJson,
    };
  throw new Error(`${label} is neither idle nor a pending rotation`);
}

export class JournalRequestError extends Error {
  override readonly name = "JournalRequestError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Journals as block blobs (`GET`/`PUT {container}/{name}`) over the Blob service REST API with the
 * function's managed identity (a token for `https://storage.azure.com`). Written on `fetch`, like
 * the vault client, so the bundle carries no Azure SDK.
 */
export class BlobJournalStore implements JournalStore {
  private readonly base: string;

  constructor(
    containerUrl: string,
    private readonly token: TokenProvider,
  ) {
    this.base = containerUrl.replace(/\/+$/, "");
  }

  private async request(method: "GET" | "PUT", name: string, body?: string): Promise<Response> {
    return fetch(`${this.base}/${encodeURIComponent(name)}`, {
      method,
      headers: {
        Authorization: `Bearer ${await this.token()}`,
        "x-ms-version": BLOB_API_VERSION,
        ...(body !== undefined ? { "x-ms-blob-type": "BlockBlob", "Content-Type": "application/json" } : {}),
      },
      body,
    });
  }

  async read(name: string): Promise<JournalEntry | undefined> {
    const response = await this.request("GET", name);
    if (response.status === 404) return undefined;
    if (!response.ok)
      throw new JournalRequestError(
        response.status,
        `reading journal ${name} failed with HTTP ${response.status}${blobErrorCode(response)}`,
      );
    return decodeJournal(await response.text(), `journal ${name}`);
  }

  async write(name: string, entry: JournalEntry): Promise<void> {
    const response = await this.request("PUT", name, encodeJournal(entry));
    if (!response.ok)
      throw new JournalRequestError(
        response.status,
        `writing journal ${name} failed with HTTP ${response.status}${blobErrorCode(response)}`,
      );
  }
}

/** The Blob service's error code header (e.g. `AuthorizationPermissionMismatch`); no body is echoed. */
function blobErrorCode(response: Response): string {
  const code = response.headers.get("x-ms-error-code");
  return code ? ` (${code})` : "";
}
