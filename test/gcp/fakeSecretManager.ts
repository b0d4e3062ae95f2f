/**
 * An in-memory Secret Manager behind the rotator's `SecretManagerClient` interface, with the API's
 * version semantics: versions numbered 1, 2, … in creation order; `versions/latest` is the most
 * recently created version whatever its state; only ENABLED versions can be accessed
 * (FAILED_PRECONDITION otherwise); destroyed versions lose their payload; names may use the project
 * id or number and come back with the number, as the real API answers.
 */
import {
  SecretManagerClient,
  SecretManagerError,
  SecretVersionMetadata,
  SecretVersionState,
} from "../../components/gcp/rotator/secretManagerClient";

interface StoredVersion {
  number: number;
  data: Buffer | undefined;
  createTime: string;
  state: SecretVersionState;
}

export class FakeSecretManager implements SecretManagerClient {
  private readonly secrets = new Map<string, StoredVersion[]>();
  private lastNanos = 0n;
  /** Every call, in order (method and resolved resource name). */
  readonly calls: Array<{ method: string; name: string }> = [];
  /** The next `addSecretVersion` throws this instead of adding (then the fault is cleared). */
  failNextAdd?: SecretManagerError;

  constructor(
    readonly projectId: string,
    readonly projectNumber: string,
  ) {}

  /**
   * A strictly increasing RFC 3339 time with nanoseconds, on the same clock as version create times
   * (tests use it as Pub/Sub's publish time, as if both services shared Google's clock).
   */
  timestamp(): string {
    const wall = BigInt(Date.now()) * 1_000_000n;
    this.lastNanos = wall > this.lastNanos ? wall : this.lastNanos + 1n;
    const ms = Number(this.lastNanos / 1_000_000n);
    const nanos = (this.lastNanos % 1_000_000_000n).toString().padStart(9, "0");
    return `${new Date(ms).toISOString().slice(0, 19)}.${nanos}Z`;
  }

  createSecret(secretId: string): string {
    this.secrets.set(secretId, []);
    return `projects/${this.projectNumber}/secrets/${secretId}`;
  }

  /** Test setup: adds a version directly (no call recorded). */
  seed(secretId: string, payload: string): SecretVersionMetadata {
    return this.add(secretId, Buffer.from(payload, "utf8"));
  }

  /** The payloads of every version, oldest first (undefined once destroyed). */
  payloads(secretId: string): Array<string | undefined> {
    return this.versionsOf(secretId).map((v) => v.data?.toString("utf8"));
  }

  disable(secretId: string, number: number): void {
    this.version(secretId, String(number)).state = "DISABLED";
  }

  destroy(secretId: string, number: number): void {
    const version = this.version(secretId, String(number));
    version.state = "DESTROYED";
    version.data = undefined;
  }

  async getSecretVersion(name: string): Promise<SecretVersionMetadata> {
    const { secretId, version } = this.parseVersionName(name);
    this.calls.push({ method: "getSecretVersion", name });
    return this.metadata(secretId, this.version(secretId, version));
  }

  async accessSecretVersion(name: string): Promise<{ name: string; data: Buffer }> {
    const { secretId, version } = this.parseVersionName(name);
    this.calls.push({ method: "accessSecretVersion", name });
    const stored = this.version(secretId, version);
    if (stored.state !== "ENABLED") {
      throw new SecretManagerError(
        "FAILED_PRECONDITION",
        `${this.fullName(secretId, stored.number)} is in ${stored.state} state`,
      );
    }
    return { name: this.fullName(secretId, stored.number), data: Buffer.from(stored.data!) };
  }

  async addSecretVersion(secret: string, data: Buffer): Promise<SecretVersionMetadata> {
    const secretId = this.parseSecretName(secret);
    this.calls.push({ method: "addSecretVersion", name: secret });
    this.versionsOf(secretId);
    if (this.failNextAdd) {
      const error = this.failNextAdd;
      this.failNextAdd = undefined;
      throw error;
    }
    return this.add(secretId, data);
  }

  private add(secretId: string, data: Buffer): SecretVersionMetadata {
    const versions = this.versionsOf(secretId);
    const stored: StoredVersion = {
      number: versions.length + 1,
      data: Buffer.from(data),
      createTime: this.timestamp(),
      state: "ENABLED",
    };
    versions.push(stored);
    return this.metadata(secretId, stored);
  }

  private metadata(secretId: string, stored: StoredVersion): SecretVersionMetadata {
    return {
      name: this.fullName(secretId, stored.number),
      createTime: stored.createTime,
      state: stored.state,
    };
  }

  private fullName(secretId: string, number: number): string {
    return `projects/${this.projectNumber}/secrets/${secretId}/versions/${number}`;
  }

  private versionsOf(secretId: string): StoredVersion[] {
    const versions = this.secrets.get(secretId);
    if (!versions)
      throw new SecretManagerError(
        "NOT_FOUND",
        `Secret [projects/${this.projectNumber}/secrets/${secretId}] not found`,
      );
    return versions;
  }

  private version(secretId: string, version: string): StoredVersion {
    const versions = this.versionsOf(secretId);
    const stored =
      version === "latest"
        ? versions[versions.length - 1]
        : versions.find((v) => String(v.number) === version);
    if (!stored)
      throw new SecretManagerError("NOT_FOUND", `Secret Version [${secretId}/versions/${version}] not found`);
    return stored;
  }

  private parseSecretName(name: string): string {
    const match = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(name);
    if (!match) throw new SecretManagerError("INVALID_ARGUMENT", `bad secret name ${name}`);
    this.checkProject(match[1]);
    return match[2];
  }

  private parseVersionName(name: string): { secretId: string; version: string } {
    const match = /^projects\/([^/]+)\/secrets\/([^/]+)\/versions\/([^/]+)$/.exec(name);
    if (!match) throw new SecretManagerError("INVALID_ARGUMENT", `bad version name ${name}`);
    this.checkProject(match[1]);
    if (match[3] !== "latest" && !/^[1-9]\d*$/.test(match[3]))
      throw new SecretManagerError("INVALID_ARGUMENT", `bad version ${match[3]}`);
    return { secretId: match[2], version: match[3] };
  }

  private checkProject(project: string): void {
    if (project !== this.projectId && project !== this.projectNumber) {
      throw new SecretManagerError("PERMISSION_DENIED", `no access to project ${project}`);
    }
  }
}
