/**
 * The Key Vault operations the rotator needs, as an interface (tests use an in-memory fake), and
 * its implementation over Key Vault's REST API with the function's managed identity. Written on
 * `fetch` so the bundle carries no Azure SDK. Error messages name secrets and statuses, never values.
 */

export interface KeyVaultSecret {
  name: string;
  value: string;
  /** Version id (the last segment of the secret's id). */
  version: string;
  contentType?: string;
  expiresOn?: Date;
  tags: Record<string, string>;
}

export interface SetSecretOptions {
  contentType?: string;
  expiresOn?: Date;
  tags?: Record<string, string>;
}

export interface KeyVaultSecretsClient {
  /** The latest version, or undefined when the secret does not exist. */
  getSecret(name: string): Promise<KeyVaultSecret | undefined>;
  /** Writes a new version (which becomes the latest); returns its version id. */
  setSecret(name: string, value: string, options?: SetSecretOptions): Promise<{ version: string }>;
}

export const KEY_VAULT_API_VERSION = "7.4";
/** Key Vault's token audience in the public cloud; sovereign clouds use `https://{their suffix}`. */
export const KEY_VAULT_RESOURCE = "https://vault.azure.net";

export type TokenProvider = () => Promise<string>;

export class KeyVaultRequestError extends Error {
  override readonly name = "KeyVaultRequestError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A token for Key Vault from the App Service / Functions managed identity endpoint
 * (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`), for the user-assigned identity `clientId` and the
 * cloud's Key Vault audience `resource`. Cached until five minutes before it expires.
 */
export function managedIdentityTokenProvider(
  env: NodeJS.ProcessEnv,
  clientId: string | undefined,
  resource: string = KEY_VAULT_RESOURCE,
): TokenProvider {
  let cached: { token: string; expiresAt: number } | undefined;
  return async () => {
    if (cached && cached.expiresAt - 5 * 60 * 1000 > Date.now()) return cached.token;
    const endpoint = env.IDENTITY_ENDPOINT;
    const header = env.IDENTITY_HEADER;
    if (!endpoint || !header)
      throw new Error(
        "IDENTITY_ENDPOINT / IDENTITY_HEADER are not set: the function app has no managed identity",
      );
    const url = new URL(endpoint);
    url.searchParams.set("resource", resource);
    url.searchParams.set("api-version", "2019-08-01");
    if (clientId) url.searchParams.set("client_id", clientId);
    const response = await fetch(url, { headers: { "X-IDENTITY-HEADER": header } });
    if (!response.ok)
      throw new KeyVaultRequestError(
        response.status,
        `managed identity token request failed with HTTP ${response.status}`,
      );
    const body = (await response.json()) as { access_token?: string; expires_on?: string | number };
    if (!body.access_token) throw new Error("managed identity endpoint returned no access_token");
    cached = { token: body.access_token, expiresAt: Number(body.expires_on ?? 0) * 1000 };
    return body.access_token;
  };
}

interface SecretBundle {
  value?: string;
  id?: string;
  contentType?: string;
  attributes?: { exp?: number };
  tags?: Record<string, string>;
}

/** Key Vault's data-plane secrets API (`GET`/`PUT {vault}/secrets/{name}`). */
export class KeyVaultRestClient implements KeyVaultSecretsClient {
  private readonly base: string;

  constructor(
    vaultUrl: string,
    private readonly token: TokenProvider,
  ) {
    this.base = vaultUrl.replace(/\/+$/, "");
  }

  private url(name: string): string {
    return `${this.base}/secrets/${encodeURIComponent(name)}?api-version=${KEY_VAULT_API_VERSION}`;
  }

  private async request(method: string, name: string, body?: unknown): Promise<Response> {
    return fetch(this.url(name), {
      method,
      headers: {
        Authorization: `Bearer ${await this.token()}`,
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  }

  async getSecret(name: string): Promise<KeyVaultSecret | undefined> {
    const response = await this.request("GET", name);
    if (response.status === 404) return undefined;
    if (!response.ok)
      throw new KeyVaultRequestError(
        response.status,
        `reading secret ${name} failed with HTTP ${response.status}${await errorCode(response)}`,
      );
    const bundle = (await response.json()) as SecretBundle;
    return {
      name,
      value: bundle.value ?? "",
      version: (bundle.id ?? "").split("/").pop() ?? "",
      contentType: bundle.contentType,
      expiresOn: bundle.attributes?.exp !== undefined ? new Date(bundle.attributes.exp * 1000) : undefined,
      tags: bundle.tags ?? {},
    };
  }

  async setSecret(name: string, value: string, options: SetSecretOptions = {}): Promise<{ version: string }> {
    const response = await this.request("PUT", name, {
      value,
      contentType: options.contentType,
      attributes: {
        enabled: true,
        ...(options.expiresOn ? { exp: Math.floor(options.expiresOn.getTime() / 1000) } : {}),
      },
      tags: options.tags,
    });
    if (!response.ok)
      throw new KeyVaultRequestError(
        response.status,
        `writing secret ${name} failed with HTTP ${response.status}${await errorCode(response)}`,
      );
    const bundle = (await response.json()) as SecretBundle;
    return { version: (bundle.id ?? "").split("/").pop() ?? "" };
  }
}

/** Key Vault's error code (e.g. `Forbidden`, `SecretDisabled`); the message text is not echoed. */
async function errorCode(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { code?: string } };
    return body.error?.code ? ` (${body.error.code})` : "";
  } catch {
    return "";
  }
}
