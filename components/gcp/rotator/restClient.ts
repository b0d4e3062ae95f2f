/**
 * `SecretManagerClient` over Secret Manager's REST API with Node's built-in `fetch`, authenticated with
 * the function's service account token from the metadata server: no Google SDK in the bundle.
 * Payloads carry CRC32C checksums both ways, so a corrupted transfer is refused, not stored or used.
 */
import {
  SecretManagerClient,
  SecretManagerError,
  SecretManagerErrorCode,
  SecretVersionMetadata,
  SecretVersionState,
} from "./secretManagerClient";

export const SECRET_MANAGER_ENDPOINT = "https://secretmanager.googleapis.com";
export const METADATA_TOKEN_URL =
  "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token";

type Fetch = typeof fetch;

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32C (Castagnoli), the checksum Secret Manager uses for payloads. */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC32C_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const KNOWN_CODES: ReadonlySet<string> = new Set<SecretManagerErrorCode>([
  "NOT_FOUND",
  "FAILED_PRECONDITION",
  "PERMISSION_DENIED",
  "INVALID_ARGUMENT",
  "ABORTED",
  "UNAVAILABLE",
  "DEADLINE_EXCEEDED",
  "RESOURCE_EXHAUSTED",
  "INTERNAL",
  "UNAUTHENTICATED",
]);

/** A token from the metadata server, reused until a minute before it expires. */
export function metadataServerToken(
  fetchImpl: Fetch = fetch,
  url = METADATA_TOKEN_URL,
): () => Promise<string> {
  let cached: { token: string; expiresAt: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.expiresAt) return cached.token;
    const response = await fetchImpl(url, { headers: { "Metadata-Flavor": "Google" } });
    if (!response.ok)
      throw new SecretManagerError(
        "UNAUTHENTICATED",
        `metadata server answered ${response.status} for a token`,
      );
    const body = (await response.json()) as { access_token?: string; expires_in?: number };
    if (!body.access_token)
      throw new SecretManagerError("UNAUTHENTICATED", "metadata server returned no access_token");
    cached = {
      token: body.access_token,
      expiresAt: Date.now() + Math.max(0, (body.expires_in ?? 0) - 60) * 1000,
    };
    return cached.token;
  };
}

export interface RestClientOptions {
  getToken: () => Promise<string>;
  fetch?: Fetch;
  endpoint?: string;
}

function versionMetadata(body: Record<string, unknown>): SecretVersionMetadata {
  return {
    name: String(body.name),
    createTime: String(body.createTime),
    state: String(body.state) as SecretVersionState,
  };
}

export function restSecretManagerClient(options: RestClientOptions): SecretManagerClient {
  const fetchImpl = options.fetch ?? fetch;
  const endpoint = options.endpoint ?? SECRET_MANAGER_ENDPOINT;

  async function call(
    method: "GET" | "POST",
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> {
    const response = await fetchImpl(`${endpoint}/v1/${path}`, {
      method,
      headers: { authorization: `Bearer ${await options.getToken()}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // Non-JSON answers (proxies, HTML error pages) are reported by status below.
    }
    if (!response.ok) {
      const error = (parsed.error ?? {}) as { status?: string; message?: string };
      const code =
        error.status && KNOWN_CODES.has(error.status)
          ? (error.status as SecretManagerErrorCode)
          : response.status >= 500
            ? "UNAVAILABLE"
            : "UNKNOWN";
      throw new SecretManagerError(
        code,
        `${method} ${path}: HTTP ${response.status} ${error.message ?? ""}`.trim(),
      );
    }
    return parsed;
  }

  return {
    async getSecretVersion(name) {
      return versionMetadata(await call("GET", name));
    },
    async accessSecretVersion(name) {
      const body = await call("GET", `${name}:access`);
      const payload = (body.payload ?? {}) as { data?: string; dataCrc32c?: string };
      const data = Buffer.from(payload.data ?? "", "base64");
      if (payload.dataCrc32c !== undefined && BigInt(payload.dataCrc32c) !== BigInt(crc32c(data))) {
        throw new SecretManagerError("INTERNAL", `${String(body.name)}: payload checksum mismatch`);
      }
      return { name: String(body.name), data };
    },
    async addSecretVersion(secret, data) {
      const body = await call("POST", `${secret}:addVersion`, {
        payload: { data: data.toString("base64"), dataCrc32c: String(crc32c(data)) },
      });
      return versionMetadata(body);
    },
  };
}
