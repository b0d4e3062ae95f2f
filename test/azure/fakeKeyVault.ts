/**
 * An in-memory Key Vault for the rotator tests: every write is a new version, the latest version is
 * what a read returns, and a write can be made to fail once to simulate a crash or an outage.
 */
import { randomBytes } from "crypto";
import type {
  KeyVaultSecret,
  KeyVaultSecretsClient,
  SetSecretOptions,
} from "../../components/azure/rotator/keyVaultClient";

export class FakeKeyVault implements KeyVaultSecretsClient {
  private readonly versions = new Map<string, KeyVaultSecret[]>();
  private readonly failures = new Map<string, Error>();
  readonly calls: Array<{ op: "get" | "set"; name: string }> = [];

  /** Versions of a secret, oldest first. */
  history(name: string): KeyVaultSecret[] {
    return [...(this.versions.get(name.toLowerCase()) ?? [])];
  }

  latest(name: string): KeyVaultSecret | undefined {
    return this.history(name).at(-1);
  }

  /** The next write of `name` throws `error` (once). */
  failNextWrite(name: string, error = new Error(`injected failure writing ${name}`)): void {
    this.failures.set(name.toLowerCase(), error);
  }

  /** Sets one version's expiry, as `PATCH secrets/{name}/{version}` does (no new version). */
  async updateExpiry(name: string, version: string, expiresOn: Date): Promise<void> {
    const found = this.history(name).find((v) => v.version === version);
    if (!found) throw new Error(`no version ${version} of ${name}`);
    found.expiresOn = expiresOn;
  }

  async getSecret(name: string): Promise<KeyVaultSecret | undefined> {
    this.calls.push({ op: "get", name });
    const latest = this.latest(name);
    return latest ? { ...latest, tags: { ...latest.tags } } : undefined;
  }

  async setSecret(name: string, value: string, options: SetSecretOptions = {}): Promise<{ version: string }> {
    this.calls.push({ op: "set", name });
    const failure = this.failures.get(name.toLowerCase());
    if (failure) {
      this.failures.delete(name.toLowerCase());
      throw failure;
    }
    const version = randomBytes(16).toString("hex");
    const list = this.versions.get(name.toLowerCase()) ?? [];
    list.push({
      name,
      value,
      version,
      contentType: options.contentType,
      expiresOn: options.expiresOn,
      tags: { ...(options.tags ?? {}) },
    });
    this.versions.set(name.toLowerCase(), list);
    return { version };
  }
}
