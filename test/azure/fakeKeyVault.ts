/**
 * The rotator's two stores in memory: a Key Vault (every write is a new version, the latest version
 * is what a read returns) and the journal container of the rotator's storage account (one blob per
 * journal, overwritten in place, kept as the JSON text the function writes). In both, a write can be
 * made to fail once to simulate a crash or an outage.
 */
import { randomBytes } from "crypto";
import {
  decodeJournal,
  encodeJournal,
  type JournalEntry,
  type JournalStore,
} from "../../components/azure/rotator/journal";
import type {
  KeyVaultSecret,
  KeyVaultSecretsClient,
  SetSecretOptions,
} from "../../components/azure/rotator/keyVaultClient";

export class FakeKeyVault implements KeyVaultSecretsClient {
  private readonly versions = new Map<string, KeyVaultSecret[]>();
  private readonly failures = new Map<string, Error>();
  readonly calls: Array<{ op: "get" | "set"; name: string }> = [];

  /** `timeline`: shared with a {@link FakeJournalContainer} to see the order of writes across both. */
  constructor(readonly timeline: string[] = []) {}

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
    this.timeline.push(`vault ${name}`);
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

/** The `rotation-journals` container: blobs by name (case-sensitive, as blob names are). */
export class FakeJournalContainer implements JournalStore {
  /** Every text each blob ever held, oldest first (a blob keeps only the last; tests look back). */
  private readonly blobs = new Map<string, string[]>();
  private readonly failures = new Map<string, Error>();
  readonly calls: Array<{ op: "read" | "write"; name: string; state?: JournalEntry["state"] }> = [];

  constructor(readonly timeline: string[] = []) {}

  history(name: string): JournalEntry[] {
    return (this.blobs.get(name) ?? []).map((text) => decodeJournal(text, `journal ${name}`));
  }

  latest(name: string): JournalEntry | undefined {
    return this.history(name).at(-1);
  }

  names(): string[] {
    return [...this.blobs.keys()];
  }

  /** The next write of `name` throws `error` (once). */
  failNextWrite(name: string, error = new Error(`injected failure writing journal ${name}`)): void {
    this.failures.set(name, error);
  }

  /** Deletes a blob (an operator clearing it, or a container that starts empty). */
  delete(name: string): void {
    this.blobs.delete(name);
  }

  async read(name: string): Promise<JournalEntry | undefined> {
    this.calls.push({ op: "read", name });
    const text = this.blobs.get(name)?.at(-1);
    return text === undefined ? undefined : decodeJournal(text, `journal ${name}`);
  }

  async write(name: string, entry: JournalEntry): Promise<void> {
    this.calls.push({ op: "write", name, state: entry.state });
    this.timeline.push(`journal ${name} ${entry.state}`);
    const failure = this.failures.get(name);
    if (failure) {
      this.failures.delete(name);
      throw failure;
    }
    this.blobs.set(name, [...(this.blobs.get(name) ?? []), encodeJournal(entry)]);
  }
}
