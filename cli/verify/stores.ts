/**
 * The lookups Airflow's secrets backends make, one small reader per store, each over a client that
 * tests replace with a local fake: Vault KV v2 over HTTP as hvac sends it, Secrets Manager through the
 * AWS SDK v3, Secret Manager and Key Vault through the REST clients the rotators already use. A reader
 * answers what Airflow would get now and, where the store keeps them and the reader may see them, the
 * values of earlier versions (so a value that went back to an old one is told apart from an altered
 * one). Errors name the secret and the store's error code, never a value or a server's message.
 */
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { stableJson } from "../../components/airflow";
import type { KeyVaultSecret, TokenProvider } from "../../components/azure/rotator/keyVaultClient";
import type { SecretManagerClient } from "../../components/gcp/rotator/secretManagerClient";

/** How many earlier versions a reader looks at, at most (each one is a billed read in the clouds). */
export const EARLIER_VERSIONS = 5;

export interface StoredValue {
  /** The raw value Airflow parses (Vault: the KV data map as JSON). */
  value: string;
  /** When this value was written, when the store says (creation of the current version). */
  changedAt?: Date;
}

/** The reader identity may not read the secret: Airflow would fail the lookup too. */
export class ReadDenied extends Error {}

export interface StoreReader {
  /** What Airflow's lookup of `name` returns now; undefined when the store has no readable value. */
  current(name: string): Promise<StoredValue | undefined>;
  /**
   * Other versions than the current one, most recent first, at most EARLIER_VERSIONS; empty when
   * unknown. Usually older ones; in Secrets Manager AWSPREVIOUS, which is newer than AWSCURRENT after
   * a rollback.
   */
  earlier(name: string): Promise<StoredValue[]>;
}

type Fetch = typeof fetch;

/**
 * For stores that number versions (Vault KV v2, Secret Manager): up to EARLIER_VERSIONS versions
 * before `latest`, newest first, skipping missing ones and stopping at the first the reader may not read.
 */
async function numberedVersionsBefore(
  latest: number | undefined,
  readVersion: (version: number) => Promise<StoredValue | undefined>,
): Promise<StoredValue[]> {
  const values: StoredValue[] = [];
  if (latest === undefined) return values;
  for (let version = latest - 1; version >= Math.max(1, latest - EARLIER_VERSIONS); version--) {
    try {
      const found = await readVersion(version);
      if (found) values.push(found);
    } catch (error) {
      if (error instanceof ReadDenied) break;
      throw error;
    }
  }
  return values;
}

// ---- Vault KV v2 (hvac's `secrets.kv.v2.read_secret_version`) ----

export interface VaultReaderOptions {
  address: string;
  token: string;
  mount: string;
  namespace?: string;
  fetch?: Fetch;
}

function vaultHeaders(token: string | undefined, namespace: string | undefined): Record<string, string> {
  return {
    ...(token ? { "X-Vault-Token": token } : {}),
    ...(namespace ? { "X-Vault-Namespace": namespace } : {}),
  };
}

const vaultPath = (path: string) => path.split("/").map(encodeURIComponent).join("/");

export function vaultStoreReader(options: VaultReaderOptions): StoreReader {
  const fetchImpl = options.fetch ?? fetch;
  const base = options.address.replace(/\/+$/, "");
  const read = async (name: string, version?: number) => {
    const query = version === undefined ? "" : `?version=${version}`;
    const response = await fetchImpl(
      `${base}/v1/${vaultPath(options.mount)}/data/${vaultPath(name)}${query}`,
      {
        headers: vaultHeaders(options.token, options.namespace),
      },
    );
    // hvac raises InvalidPath on 404 (a missing, deleted or destroyed version), which Airflow returns as None.
    if (response.status === 404) return undefined;
    if (response.status === 403) throw new ReadDenied(`Vault refused reading ${name} (HTTP 403)`);
    if (!response.ok) throw new Error(`Vault answered HTTP ${response.status} reading ${name}`);
    const body = (await response.json()) as {
      data?: {
        data?: Record<string, unknown> | null;
        metadata?: { created_time?: string; version?: number };
      };
    };
    const data = body.data?.data;
    if (!data) return undefined;
    return { value: stableJson(data), metadata: body.data?.metadata ?? {} };
  };
  const currentVersions = new Map<string, number>();
  return {
    async current(name) {
      const found = await read(name);
      if (!found) return undefined;
      if (typeof found.metadata.version === "number") currentVersions.set(name, found.metadata.version);
      return {
        value: found.value,
        changedAt: found.metadata.created_time ? new Date(found.metadata.created_time) : undefined,
      };
    },
    earlier: (name) =>
      numberedVersionsBefore(currentVersions.get(name), async (version) => {
        const found = await read(name, version);
        return found
          ? {
              value: found.value,
              changedAt: found.metadata.created_time ? new Date(found.metadata.created_time) : undefined,
            }
          : undefined;
      }),
  };
}

/** Kubernetes auth login (`auth/{mount}/login`), as hvac's `auth.kubernetes.login`; returns the client token. */
export async function vaultKubernetesLogin(options: {
  address: string;
  role: string;
  jwt: string;
  authMount?: string;
  namespace?: string;
  fetch?: Fetch;
}): Promise<string> {
  const fetchImpl = options.fetch ?? fetch;
  const response = await fetchImpl(
    `${options.address.replace(/\/+$/, "")}/v1/auth/${vaultPath(options.authMount ?? "kubernetes")}/login`,
    {
      method: "POST",
      headers: { "content-type": "application/json", ...vaultHeaders(undefined, options.namespace) },
      body: JSON.stringify({ role: options.role, jwt: options.jwt }),
    },
  );
  if (!response.ok)
    throw new ReadDenied(`Vault Kubernetes login as role ${options.role} failed (HTTP ${response.status})`);
  const body = (await response.json()) as { auth?: { client_token?: string } };
  if (!body.auth?.client_token)
    throw new Error(`Vault Kubernetes login as role ${options.role} returned no token`);
  return body.auth.client_token;
}

// ---- AWS Secrets Manager (SecretsManagerBackend's `get_secret_value(SecretId=…)`) ----

type SecretsManagerSdk = typeof import("@aws-sdk/client-secrets-manager");

/** The SDK, loaded only when an AWS stack is verified (it is not a dependency of the command). */
export function secretsManagerSdk(): SecretsManagerSdk {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@aws-sdk/client-secrets-manager") as SecretsManagerSdk;
  } catch {
    throw new Error(
      "verifying a Secrets Manager stack needs the AWS SDK: npm install @aws-sdk/client-secrets-manager",
    );
  }
}

const awsErrorName = (error: unknown) => (error as { name?: string }).name ?? "Error";

export function secretsManagerStoreReader(client: SecretsManagerClient): StoreReader {
  const { GetSecretValueCommand } = secretsManagerSdk();
  const get = async (name: string, stage?: string) => {
    try {
      return await client.send(
        new GetSecretValueCommand({ SecretId: name, ...(stage ? { VersionStage: stage } : {}) }),
      );
    } catch (error) {
      const code = awsErrorName(error);
      if (code === "ResourceNotFoundException") return undefined;
      if (code === "AccessDeniedException" || code === "DecryptionFailure")
        throw new ReadDenied(`Secrets Manager refused reading ${name} (${code})`);
      throw new Error(`Secrets Manager failed reading ${name} (${code})`);
    }
  };
  return {
    async current(name) {
      const found = await get(name);
      // Airflow reads SecretString only; a binary-only secret reads as None.
      if (found?.SecretString === undefined) return undefined;
      return { value: found.SecretString, changedAt: found.CreatedDate };
    },
    async earlier(name) {
      try {
        const previous = await get(name, "AWSPREVIOUS");
        return previous?.SecretString !== undefined
          ? [{ value: previous.SecretString, changedAt: previous.CreatedDate }]
          : [];
      } catch (error) {
        if (error instanceof ReadDenied) return [];
        throw error;
      }
    },
  };
}

// ---- GCP Secret Manager (CloudSecretManagerBackend: `…/secrets/{id}/versions/latest:access`) ----

const gcpCode = (error: unknown) => (error as { code?: string }).code ?? awsErrorName(error);

export function secretManagerStoreReader(client: SecretManagerClient, projectId: string): StoreReader {
  const versionName = (name: string, version: string | number) =>
    `projects/${projectId}/secrets/${name}/versions/${version}`;
  const latestNumbers = new Map<string, number>();
  const access = async (name: string, version: string | number) => {
    try {
      return await client.accessSecretVersion(versionName(name, version));
    } catch (error) {
      const code = gcpCode(error);
      // NOT_FOUND: no such secret or version; FAILED_PRECONDITION: the version is disabled or destroyed.
      if (code === "NOT_FOUND" || code === "FAILED_PRECONDITION") return undefined;
      if (code === "PERMISSION_DENIED" || code === "UNAUTHENTICATED")
        throw new ReadDenied(`Secret Manager refused reading ${name} (${code})`);
      throw new Error(`Secret Manager failed reading ${name} (${code})`);
    }
  };
  return {
    async current(name) {
      const found = await access(name, "latest");
      if (!found) return undefined;
      const number = Number(found.name.split("/").pop());
      if (Number.isInteger(number)) latestNumbers.set(name, number);
      let changedAt: Date | undefined;
      try {
        // secretAccessor alone may not read version metadata: the age is then unknown, not a finding.
        changedAt = new Date((await client.getSecretVersion(found.name)).createTime);
      } catch {
        changedAt = undefined;
      }
      return { value: found.data.toString("utf8"), changedAt };
    },
    earlier: (name) =>
      numberedVersionsBefore(latestNumbers.get(name), async (version) => {
        const found = await access(name, version);
        // Older Secret Manager versions are older by construction: their times are not needed.
        return found ? { value: found.data.toString("utf8") } : undefined;
      }),
  };
}

// ---- Azure Key Vault (AzureKeyVaultBackend: `get_secret(name)`, the latest version) ----

export interface KeyVaultVersionInfo {
  version: string;
  created?: Date;
  enabled?: boolean;
}

/** The reads `verify` makes in Key Vault: the latest version (what Airflow gets) and the version list. */
export interface KeyVaultReadClient {
  getSecret(name: string): Promise<KeyVaultSecret | undefined>;
  /** Every version with its creation time (any order); needs the secrets' readMetadata permission. */
  listVersions?(name: string): Promise<KeyVaultVersionInfo[]>;
  getSecretVersion?(name: string, version: string): Promise<KeyVaultSecret | undefined>;
}

const httpStatus = (error: unknown) => (error as { status?: number }).status;

export function keyVaultStoreReader(client: KeyVaultReadClient): StoreReader {
  const currentVersions = new Map<string, string>();
  // Listed once per secret: current() needs the time, earlier() the other versions.
  const listed = new Map<string, Promise<KeyVaultVersionInfo[]>>();
  const versionsOf = (name: string): Promise<KeyVaultVersionInfo[]> => {
    if (!client.listVersions) return Promise.resolve([]);
    if (!listed.has(name))
      listed.set(
        name,
        client
          .listVersions(name)
          .then((versions) =>
            [...versions].sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0)),
          )
          .catch(() => []),
      );
    return listed.get(name)!;
  };
  return {
    async current(name) {
      let found: KeyVaultSecret | undefined;
      try {
        found = await client.getSecret(name);
      } catch (error) {
        const status = httpStatus(error);
        if (status === 401 || status === 403)
          throw new ReadDenied(`Key Vault refused reading ${name} (HTTP ${status})`);
        throw new Error(`Key Vault failed reading ${name}${status ? ` (HTTP ${status})` : ""}`);
      }
      if (!found) return undefined;
      currentVersions.set(name, found.version);
      const info = (await versionsOf(name)).find((v) => v.version === found.version);
      return { value: found.value, changedAt: info?.created };
    },
    async earlier(name) {
      const current = currentVersions.get(name);
      if (!client.getSecretVersion || current === undefined) return [];
      const older = (await versionsOf(name)).filter((v) => v.version !== current && v.enabled !== false);
      const values: StoredValue[] = [];
      for (const info of older.slice(0, EARLIER_VERSIONS)) {
        try {
          const found = await client.getSecretVersion(name, info.version);
          if (found) values.push({ value: found.value, changedAt: info.created });
        } catch {
          break;
        }
      }
      return values;
    },
  };
}

/** Key Vault's REST API for the reads above (`GET secrets/{name}`, `…/versions`, `…/{version}`). */
export function keyVaultRestReadClient(
  vaultUrl: string,
  token: TokenProvider,
  fetchImpl: Fetch = fetch,
): KeyVaultReadClient {
  const base = vaultUrl.replace(/\/+$/, "");
  /** `path` is relative to the vault, or a `nextLink` (which carries its own query). */
  const get = async (path: string): Promise<Record<string, unknown> | undefined> => {
    const url = new URL(path.startsWith(`${base}/`) ? path : `${base}/${path}`);
    if (!url.searchParams.has("api-version")) url.searchParams.set("api-version", "7.4");
    const response = await fetchImpl(url, { headers: { Authorization: `Bearer ${await token()}` } });
    if (response.status === 404) return undefined;
    if (!response.ok) {
      const error = new Error(`Key Vault answered HTTP ${response.status}`) as Error & { status: number };
      error.status = response.status;
      throw error;
    }
    return (await response.json()) as Record<string, unknown>;
  };
  const secret = (name: string, body: Record<string, unknown>): KeyVaultSecret => ({
    name,
    value: String(body.value ?? ""),
    version:
      String(body.id ?? "")
        .split("/")
        .pop() ?? "",
    tags: (body.tags as Record<string, string> | undefined) ?? {},
  });
  return {
    async getSecret(name) {
      const body = await get(`secrets/${encodeURIComponent(name)}`);
      return body ? secret(name, body) : undefined;
    },
    async getSecretVersion(name, version) {
      const body = await get(`secrets/${encodeURIComponent(name)}/${encodeURIComponent(version)}`);
      return body ? secret(name, body) : undefined;
    },
    async listVersions(name) {
      const versions: KeyVaultVersionInfo[] = [];
      let next: string | undefined = `secrets/${encodeURIComponent(name)}/versions`;
      while (next) {
        const page = await get(next);
        if (!page) break;
        for (const item of (page.value as Array<Record<string, unknown>> | undefined) ?? []) {
          const attributes = (item.attributes ?? {}) as { created?: number; enabled?: boolean };
          versions.push({
            version:
              String(item.id ?? "")
                .split("/")
                .pop() ?? "",
            created: attributes.created !== undefined ? new Date(attributes.created * 1000) : undefined,
            enabled: attributes.enabled,
          });
        }
        // Only a link into the same vault is followed: the token is never sent elsewhere.
        const link = typeof page.nextLink === "string" ? page.nextLink : undefined;
        next = link?.startsWith(`${base}/`) ? link : undefined;
      }
      return versions;
    },
  };
}
