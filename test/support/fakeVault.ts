/**
 * A small in-process Vault for tests: an HTTP server on loopback speaking the slice of Vault's API that
 * Airflow's `VaultBackend` (hvac) and our commands use, with Vault's answers (`{"data": …}`,
 * `{"errors": […]}`, 403 "permission denied", 404 on a missing path). Nothing is persisted.
 *
 * API (all paths under `/v1/`; a token goes in `X-Vault-Token`; LIST is `GET …?list=true`, since
 * Node's HTTP parser has no LIST method):
 *   KV v2 on every mount added with `enableKv(mount)`:
 *     GET  {mount}/data/{path}[?version=N]    the latest (or version N) data and metadata; 404 when
 *                                             missing, deleted or destroyed (data null, metadata kept)
 *     POST|PUT {mount}/data/{path}            {data, options?: {cas}} → a new version
 *     DELETE {mount}/data/{path}              soft-deletes the latest version
 *     POST {mount}/delete/{path}              {versions: [N]} soft-deletes versions
 *     POST {mount}/undelete/{path}            {versions: [N]}
 *     POST {mount}/destroy/{path}             {versions: [N]} removes their data for good
 *     GET  {mount}/metadata/{path}            current_version, versions {N: {created_time, …}}, custom_metadata
 *     GET  {mount}/metadata/{prefix}?list=true  keys under a folder (folders end with "/")
 *     DELETE {mount}/metadata/{path}          every version and the metadata
 *   Kubernetes auth (`enableKubernetesAuth(mount = "kubernetes")`, roles by `writeKubernetesRole`):
 *     POST auth/{mount}/login                 {role, jwt}; the JWT comes from `serviceAccountJwt(ns, name)`
 *                                             (HMAC-signed by this fake) and must match the role's bound
 *                                             service-account names and namespaces ("*" = any)
 *   Tokens:
 *     POST auth/token/create                  {policies, meta?, ttl?} (root only, as a test convenience)
 *     GET  auth/token/lookup-self             POST auth/token/revoke-self
 *     POST auth/token/lookup-accessor         {accessor}   (sudo)
 *     POST auth/token/revoke-accessor         {accessor}   (sudo)
 *     GET  auth/token/accessors?list=true     (sudo)
 *   Policies: PUT sys/policies/acl/{name} {policy: HCL}; GET sys/policies/acl/{name}
 *   Leases: PUT sys/leases/revoke {lease_id}; PUT sys/leases/revoke-prefix/{prefix} (sudo): database
 *     leases and tokens whose login path (`auth/kubernetes/login/{role}`) starts with the prefix
 *   Database secrets engine (`enableDatabase(mount, postgres)`, against a real PostgreSQL):
 *     GET  {mount}/static-creds/{role}        {username, password, last_vault_rotation, rotation_period, ttl}
 *     POST {mount}/rotate-role/{role}         a fresh password set with the role's rotation statements
 *     GET  {mount}/creds/{role}               a dynamic user (creation statements) with a lease
 *
 * Authorisation: the root token passes everything; any other token is checked by the ACL evaluator
 * of `vaultAcl.ts` (Vault's path matching) over its policies plus the built-in `default` policy (token
 * self-lookup, renew and revoke). KV v2 writes need `create` on a new path and `update` on an
 * existing one, as in Vault. Revoked or expired tokens get 403.
 *
 * Test helpers (what an operator or Vault itself would do): `kvPut`/`kvRead`/`kvVersions`/`kvDelete`
 * (with an injectable creation time, to age a version), `writePolicy`, `createToken`,
 * `writeKubernetesRole`, `serviceAccountJwt`, `writeStaticRole`, `writeDynamicRole`, `tokens()`,
 * `leases()`, and `requests`: every request's method, path, status and the calling token's accessor
 * (never a body or a token). Times come from `clock` (settable), so TTLs and rotation ages are testable.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import type { TestPostgres } from "./postgres";
import { VaultAcl, VaultOperation } from "./vaultAcl";

type Json = Record<string, unknown>;

export interface KvVersion {
  version: number;
  /** Undefined once destroyed. */
  data?: Json;
  createdTime: Date;
  deletionTime?: Date;
  destroyed: boolean;
}

interface KvSecret {
  versions: KvVersion[];
  customMetadata: Record<string, string> | null;
  createdTime: Date;
  updatedTime: Date;
}

export interface FakeToken {
  token: string;
  accessor: string;
  policies: string[];
  meta: Record<string, string>;
  /** The login path that issued it (`auth/kubernetes/login/{role}`) or `auth/token/create`. */
  path: string;
  issuedAt: Date;
  /** Undefined: never expires (root). */
  expiresAt?: Date;
  revoked: boolean;
}

export interface KubernetesRole {
  boundServiceAccountNames: string[];
  boundServiceAccountNamespaces: string[];
  policies: string[];
  /** Token TTL in seconds (default 3600). */
  ttl?: number;
}

export interface StaticRole {
  username: string;
  /** Seconds between Vault's own scheduled rotations (reported; the fake rotates only on request). */
  rotationPeriod: number;
  /** `{{name}}`/`{{username}}` and `{{password}}` are filled in; default Vault's ALTER ROLE. */
  rotationStatements?: string[];
}

export interface DynamicRole {
  creationStatements: string[];
  /** Default: drop the user. */
  revocationStatements?: string[];
  /** Lease TTL in seconds (default 3600). */
  ttl?: number;
}

export interface FakeLease {
  leaseId: string;
  username: string;
  role: string;
  mount: string;
  expiresAt: Date;
  revoked: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  /** The calling token's accessor (undefined when no or an unknown token was sent). */
  accessor?: string;
}

interface DatabaseMount {
  postgres: TestPostgres;
  staticRoles: Map<string, StaticRole & { password: string; lastRotation: Date }>;
  dynamicRoles: Map<string, DynamicRole>;
}

class VaultHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
    readonly data?: Json,
  ) {
    super(errors.join("; "));
  }
}

const DEFAULT_POLICY = `
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "auth/token/revoke-self" { capabilities = ["update"] }
`;

const denied = () => new VaultHttpError(403, ["permission denied"]);
const notFound = (data?: Json) => new VaultHttpError(404, [], data);
const badRequest = (message: string) => new VaultHttpError(400, [message]);

/** Fills in Vault's statement templates; the generated password is alphanumeric, so it needs no escaping. */
function fillTemplate(statement: string, values: Record<string, string>): string {
  return statement.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => values[key] ?? whole);
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString("base64url");
}

export class FakeVault {
  /** Every request in order (method, path without query, status, caller's accessor). */
  readonly requests: RecordedRequest[] = [];
  /** The root token: passes every ACL check. */
  readonly rootToken: string;
  /** The time the fake uses for versions, token TTLs and leases; tests may move it. */
  clock: () => Date = () => new Date();

  private readonly kvMounts = new Map<string, Map<string, KvSecret>>();
  private readonly kubernetesMounts = new Map<string, Map<string, KubernetesRole>>();
  private readonly databaseMounts = new Map<string, DatabaseMount>();
  private readonly policies = new Map<string, string>([["default", DEFAULT_POLICY]]);
  private readonly tokenStore = new Map<string, FakeToken>();
  private readonly leaseStore = new Map<string, FakeLease>();
  private readonly aclCache = new Map<string, Promise<VaultAcl>>();
  private readonly jwtKey = randomBytes(32);

  private constructor(
    private readonly server: http.Server,
    /** `http://127.0.0.1:PORT`: what VAULT_ADDR would be. */
    readonly address: string,
  ) {
    this.rootToken = `hvs.root${randomBytes(8).toString("hex")}`;
    this.tokenStore.set(this.rootToken, {
      token: this.rootToken,
      accessor: randomUUID(),
      policies: ["root"],
      meta: {},
      path: "auth/token/root",
      issuedAt: new Date(),
      revoked: false,
    });
  }

  static async start(): Promise<FakeVault> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeVault(server, `http://127.0.0.1:${port}`);
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => void fake.handle(req, res));
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- setup and inspection helpers ----

  enableKv(mount: string): void {
    if (!this.kvMounts.has(mount)) this.kvMounts.set(mount, new Map());
  }

  enableKubernetesAuth(mount = "kubernetes"): void {
    if (!this.kubernetesMounts.has(mount)) this.kubernetesMounts.set(mount, new Map());
  }

  enableDatabase(mount: string, postgres: TestPostgres): void {
    this.databaseMounts.set(mount, { postgres, staticRoles: new Map(), dynamicRoles: new Map() });
  }

  writePolicy(name: string, hcl: string): void {
    this.policies.set(name, hcl);
    this.aclCache.clear();
  }

  /** A token with these policies (plus `default`); `ttlSeconds` undefined never expires. */
  createToken(
    policies: string[],
    options: { meta?: Record<string, string>; ttlSeconds?: number; path?: string } = {},
  ): FakeToken {
    const now = this.clock();
    const token: FakeToken = {
      token: `hvs.${randomBytes(12).toString("base64url")}`,
      accessor: randomUUID(),
      policies: [...new Set(["default", ...policies])],
      meta: { ...(options.meta ?? {}) },
      path: options.path ?? "auth/token/create",
      issuedAt: now,
      expiresAt:
        options.ttlSeconds === undefined ? undefined : new Date(now.getTime() + options.ttlSeconds * 1000),
      revoked: false,
    };
    this.tokenStore.set(token.token, token);
    return token;
  }

  writeKubernetesRole(role: string, config: KubernetesRole, mount = "kubernetes"): void {
    this.enableKubernetesAuth(mount);
    this.kubernetesMounts.get(mount)!.set(role, { ...config });
  }

  /** A service-account JWT the fake's Kubernetes auth accepts (signed with the fake's own key). */
  serviceAccountJwt(namespace: string, serviceAccount: string): string {
    const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
    const claims = base64url(
      JSON.stringify({
        iss: "kubernetes/serviceaccount",
        sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
        "kubernetes.io/serviceaccount/namespace": namespace,
        "kubernetes.io/serviceaccount/service-account.name": serviceAccount,
      }),
    );
    const signature = createHmac("sha256", this.jwtKey).update(`${header}.${claims}`).digest("base64url");
    return `${header}.${claims}.${signature}`;
  }

  /** Registers a static role; its first password is set in PostgreSQL at once, as Vault does. */
  async writeStaticRole(mount: string, role: string, config: StaticRole): Promise<void> {
    const database = this.database(mount);
    database.staticRoles.set(role, { ...config, password: "", lastRotation: this.clock() });
    await this.rotateStatic(mount, role);
  }

  writeDynamicRole(mount: string, role: string, config: DynamicRole): void {
    this.database(mount).dynamicRoles.set(role, { ...config });
  }

  /** A test-side KV write (no ACL, no request recorded); `createdTime` ages the version. */
  kvPut(mount: string, path: string, data: Json, options: { createdTime?: Date } = {}): number {
    return this.putVersion(mount, path, data, options.createdTime ?? this.clock()).version;
  }

  /** The latest live version's data, or undefined. */
  kvRead(mount: string, path: string): Json | undefined {
    const latest = this.kvSecret(mount, path)?.versions.at(-1);
    return latest && !latest.deletionTime && !latest.destroyed ? structuredClone(latest.data) : undefined;
  }

  /** Every version, oldest first (copies). */
  kvVersions(mount: string, path: string): KvVersion[] {
    return structuredClone(this.kvSecret(mount, path)?.versions ?? []);
  }

  /** Removes a secret with all its versions (as `DELETE metadata/`). */
  kvDelete(mount: string, path: string): void {
    this.kvMounts.get(mount)?.delete(path);
  }

  tokens(): FakeToken[] {
    return [...this.tokenStore.values()].map((t) => ({ ...t }));
  }

  leases(): FakeLease[] {
    return [...this.leaseStore.values()].map((l) => ({ ...l }));
  }

  /** The current password of a static role (what `static-creds` would answer). */
  staticPassword(mount: string, role: string): string | undefined {
    return this.databaseMounts.get(mount)?.staticRoles.get(role)?.password;
  }

  // ---- HTTP ----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.address);
    const path = decodeURIComponent(url.pathname.replace(/^\/v1\//, "")).replace(/^\/+/, "");
    const list = req.method === "LIST" || (req.method === "GET" && url.searchParams.get("list") === "true");
    const method = list ? "LIST" : (req.method ?? "GET");
    const caller = this.tokenStore.get(String(req.headers["x-vault-token"] ?? ""));
    let status = 200;
    let payload: unknown;
    try {
      if (!url.pathname.startsWith("/v1/")) throw notFound();
      const raw = await new Promise<string>((resolve, reject) => {
        let text = "";
        req.setEncoding("utf8");
        req.on("data", (chunk: string) => (text += chunk));
        req.on("end", () => resolve(text));
        req.on("error", reject);
      });
      let body: Json = {};
      if (raw) {
        try {
          body = JSON.parse(raw) as Json;
        } catch {
          throw badRequest("failed to parse JSON input");
        }
      }
      payload = await this.route(method, path, url.searchParams, body, caller);
      if (payload === undefined) status = 204;
    } catch (error) {
      if (!(error instanceof VaultHttpError)) {
        status = 500;
        payload = { errors: [`internal error: ${(error as Error).message}`] };
      } else {
        status = error.status;
        payload = { errors: error.errors, ...(error.data ? { data: error.data } : {}) };
      }
    }
    this.requests.push({ method, path, status, accessor: caller?.accessor });
    res.statusCode = status;
    if (status === 204) {
      res.end();
      return;
    }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(payload));
  }

  /** Resolves the caller and checks `operation` on `path` (sudo too when asked). */
  private async authorize(
    caller: FakeToken | undefined,
    operation: VaultOperation,
    path: string,
    sudo = false,
  ): Promise<FakeToken> {
    if (!caller || caller.revoked) throw denied();
    if (caller.expiresAt && caller.expiresAt.getTime() <= this.clock().getTime()) throw denied();
    if (caller.policies.includes("root")) return caller;
    const acl = await this.aclFor(caller.policies);
    if (!acl.allows(operation, path)) throw denied();
    if (sudo && !(await this.hasSudo(caller.policies, path))) throw denied();
    return caller;
  }

  /** `sudo` is a capability the evaluator stores but `allows` does not take as an operation. */
  private async hasSudo(policies: string[], path: string): Promise<boolean> {
    const texts = policies.map((p) => this.policies.get(p) ?? "");
    const sudoOnly = texts.map((hcl) =>
      // Re-read each policy keeping only rules that grant sudo, expressed as `read`.
      hcl.replace(/capabilities\s*=\s*\[([^\]]*)\]/g, (_m, caps: string) =>
        /"sudo"/.test(caps) ? 'capabilities = ["read"]' : "capabilities = []",
      ),
    );
    const acl = await VaultAcl.fromHcl(...sudoOnly);
    return acl.allows("read", path);
  }

  private aclFor(policies: string[]): Promise<VaultAcl> {
    const key = [...policies].sort().join(",");
    let acl = this.aclCache.get(key);
    if (!acl) {
      acl = VaultAcl.fromHcl(...policies.map((p) => this.policies.get(p) ?? ""));
      this.aclCache.set(key, acl);
    }
    return acl;
  }

  private async route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: Json,
    caller: FakeToken | undefined,
  ): Promise<unknown> {
    const segments = path.split("/");

    // Kubernetes login: unauthenticated, as in Vault.
    if (segments[0] === "auth" && segments.at(-1) === "login" && method !== "LIST") {
      const mount = segments.slice(1, -1).join("/");
      if (this.kubernetesMounts.has(mount)) return this.kubernetesLogin(mount, body);
    }
    if (path.startsWith("auth/token/")) return this.tokenEndpoint(method, path, body, caller);
    if (path.startsWith("sys/policies/acl/")) {
      const name = path.slice("sys/policies/acl/".length);
      if (method === "GET") {
        await this.authorize(caller, "read", path);
        const policy = this.policies.get(name);
        if (policy === undefined) throw notFound();
        return { data: { name, policy } };
      }
      await this.authorize(caller, this.policies.has(name) ? "update" : "create", path);
      if (typeof body.policy !== "string") throw badRequest("'policy' parameter not supplied or empty");
      this.writePolicy(name, body.policy);
      return undefined;
    }
    if (path === "sys/leases/revoke" && (method === "PUT" || method === "POST")) {
      await this.authorize(caller, "update", path);
      await this.revokeLease(String(body.lease_id ?? ""));
      return undefined;
    }
    if (path.startsWith("sys/leases/revoke-prefix/") && (method === "PUT" || method === "POST")) {
      await this.authorize(caller, "update", path, true);
      await this.revokePrefix(path.slice("sys/leases/revoke-prefix/".length));
      return undefined;
    }

    // Secrets engines: the longest mount that prefixes the path.
    for (const [mount, secrets] of [...this.kvMounts].sort(([a], [b]) => b.length - a.length)) {
      if (path.startsWith(`${mount}/`))
        return this.kvEndpoint(mount, secrets, method, path, query, body, caller);
    }
    for (const [mount, database] of [...this.databaseMounts].sort(([a], [b]) => b.length - a.length)) {
      if (path.startsWith(`${mount}/`)) return this.databaseEndpoint(mount, database, method, path, caller);
    }
    throw notFound();
  }

  // ---- KV v2 ----

  private kvSecret(mount: string, path: string): KvSecret | undefined {
    return this.kvMounts.get(mount)?.get(path);
  }

  private putVersion(mount: string, path: string, data: Json, createdTime: Date): KvVersion {
    this.enableKv(mount);
    const secrets = this.kvMounts.get(mount)!;
    let secret = secrets.get(path);
    if (!secret) {
      secret = { versions: [], customMetadata: null, createdTime, updatedTime: createdTime };
      secrets.set(path, secret);
    }
    const version: KvVersion = {
      version: (secret.versions.at(-1)?.version ?? 0) + 1,
      data: structuredClone(data),
      createdTime,
      destroyed: false,
    };
    secret.versions.push(version);
    secret.updatedTime = createdTime;
    return version;
  }

  private static versionMetadata(version: KvVersion): Json {
    return {
      created_time: version.createdTime.toISOString(),
      deletion_time: version.deletionTime?.toISOString() ?? "",
      destroyed: version.destroyed,
      version: version.version,
    };
  }

  private async kvEndpoint(
    mount: string,
    secrets: Map<string, KvSecret>,
    method: string,
    fullPath: string,
    query: URLSearchParams,
    body: Json,
    caller: FakeToken | undefined,
  ): Promise<unknown> {
    const rest = fullPath.slice(mount.length + 1);
    const slash = rest.indexOf("/");
    const operationPath = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? "" : rest.slice(slash + 1);
    const secret = secrets.get(path);

    if (operationPath === "data") {
      if (method === "GET") {
        await this.authorize(caller, "read", fullPath);
        if (!secret) throw notFound();
        const wanted = query.get("version");
        const version =
          wanted && wanted !== "0"
            ? secret.versions.find((v) => v.version === Number(wanted))
            : secret.versions.at(-1);
        if (!version) throw notFound();
        const metadata = { ...FakeVault.versionMetadata(version), custom_metadata: secret.customMetadata };
        if (version.deletionTime || version.destroyed) throw notFound({ data: null, metadata });
        return { data: { data: structuredClone(version.data), metadata } };
      }
      if (method === "POST" || method === "PUT") {
        await this.authorize(caller, secret ? "update" : "create", fullPath);
        if (typeof body.data !== "object" || body.data === null || Array.isArray(body.data))
          throw badRequest("no data provided");
        const cas = (body.options as { cas?: number } | undefined)?.cas;
        const current = secret?.versions.at(-1)?.version ?? 0;
        if (cas !== undefined && cas !== current)
          throw badRequest("check-and-set parameter did not match the current version");
        const version = this.putVersion(mount, path, body.data as Json, this.clock());
        return { data: FakeVault.versionMetadata(version) };
      }
      if (method === "DELETE") {
        await this.authorize(caller, "delete", fullPath);
        const latest = secret?.versions.at(-1);
        if (latest && !latest.deletionTime) latest.deletionTime = this.clock();
        return undefined;
      }
    }
    if (
      ["delete", "undelete", "destroy"].includes(operationPath) &&
      (method === "POST" || method === "PUT")
    ) {
      await this.authorize(caller, "update", fullPath);
      const wanted = new Set(((body.versions as unknown[]) ?? []).map(Number));
      if (wanted.size === 0) throw badRequest("no version number provided");
      for (const version of secret?.versions ?? []) {
        if (!wanted.has(version.version)) continue;
        if (operationPath === "delete" && !version.deletionTime) version.deletionTime = this.clock();
        if (operationPath === "undelete" && !version.destroyed) version.deletionTime = undefined;
        if (operationPath === "destroy") {
          version.destroyed = true;
          version.data = undefined;
        }
      }
      return undefined;
    }
    if (operationPath === "metadata") {
      if (method === "LIST") {
        await this.authorize(caller, "list", fullPath);
        const prefix = path === "" || path.endsWith("/") ? path : `${path}/`;
        const keys = new Set<string>();
        for (const key of secrets.keys()) {
          if (!key.startsWith(prefix)) continue;
          const tail = key.slice(prefix.length);
          const cut = tail.indexOf("/");
          keys.add(cut < 0 ? tail : tail.slice(0, cut + 1));
        }
        if (keys.size === 0) throw notFound();
        return { data: { keys: [...keys].sort() } };
      }
      if (method === "GET") {
        await this.authorize(caller, "read", fullPath);
        if (!secret) throw notFound();
        return {
          data: {
            cas_required: false,
            created_time: secret.createdTime.toISOString(),
            current_version: secret.versions.at(-1)?.version ?? 0,
            custom_metadata: secret.customMetadata,
            delete_version_after: "0s",
            max_versions: 0,
            oldest_version: secret.versions[0]?.version ?? 0,
            updated_time: secret.updatedTime.toISOString(),
            versions: Object.fromEntries(
              secret.versions.map((v) => [String(v.version), FakeVault.versionMetadata(v)]),
            ),
          },
        };
      }
      if (method === "POST" || method === "PUT") {
        await this.authorize(caller, secret ? "update" : "create", fullPath);
        if (!secret) throw notFound();
        secret.customMetadata = (body.custom_metadata as Record<string, string> | undefined) ?? null;
        return undefined;
      }
      if (method === "DELETE") {
        await this.authorize(caller, "delete", fullPath);
        secrets.delete(path);
        return undefined;
      }
    }
    throw new VaultHttpError(405, ["unsupported operation"]);
  }

  // ---- auth ----

  private kubernetesLogin(mount: string, body: Json): Json {
    const role = this.kubernetesMounts.get(mount)!.get(String(body.role ?? ""));
    if (!role) throw badRequest(`invalid role name "${String(body.role ?? "")}"`);
    const claims = this.verifyJwt(String(body.jwt ?? ""));
    const namespace = String(claims["kubernetes.io/serviceaccount/namespace"] ?? "");
    const name = String(claims["kubernetes.io/serviceaccount/service-account.name"] ?? "");
    const bound = (list: string[], value: string) => list.includes("*") || list.includes(value);
    if (!bound(role.boundServiceAccountNamespaces, namespace)) throw denied();
    if (!bound(role.boundServiceAccountNames, name)) throw denied();
    const ttl = role.ttl ?? 3600;
    const token = this.createToken(role.policies, {
      ttlSeconds: ttl,
      path: `auth/${mount}/login/${String(body.role)}`,
      meta: {
        role: String(body.role),
        service_account_name: name,
        service_account_namespace: namespace,
      },
    });
    return {
      auth: {
        client_token: token.token,
        accessor: token.accessor,
        policies: token.policies,
        token_policies: token.policies,
        metadata: token.meta,
        lease_duration: ttl,
        renewable: true,
      },
    };
  }

  private verifyJwt(jwt: string): Json {
    const [header, claims, signature] = jwt.split(".");
    if (!header || !claims || !signature) throw denied();
    const expected = createHmac("sha256", this.jwtKey).update(`${header}.${claims}`).digest();
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw denied();
    return JSON.parse(Buffer.from(claims, "base64url").toString("utf8")) as Json;
  }

  private static tokenData(token: FakeToken): Json {
    return {
      accessor: token.accessor,
      creation_time: Math.floor(token.issuedAt.getTime() / 1000),
      display_name: token.meta.role
        ? `${token.path.split("/")[1]}-${token.meta.service_account_namespace}-${token.meta.service_account_name}`
        : "token",
      expire_time: token.expiresAt?.toISOString() ?? null,
      issue_time: token.issuedAt.toISOString(),
      meta: token.meta,
      path: token.path,
      policies: token.policies,
    };
  }

  private async tokenEndpoint(
    method: string,
    path: string,
    body: Json,
    caller: FakeToken | undefined,
  ): Promise<unknown> {
    const write = method === "POST" || method === "PUT";
    if (path === "auth/token/lookup-self" && (method === "GET" || write)) {
      const token = await this.authorize(caller, "read", path);
      return { data: FakeVault.tokenData(token) };
    }
    if (path === "auth/token/revoke-self" && write) {
      const token = await this.authorize(caller, "update", path);
      token.revoked = true;
      return undefined;
    }
    if (path === "auth/token/create" && write) {
      const token = await this.authorize(caller, "update", path);
      if (!token.policies.includes("root")) throw denied();
      const created = this.createToken((body.policies as string[] | undefined) ?? [], {
        meta: body.meta as Record<string, string> | undefined,
        ttlSeconds: typeof body.ttl === "number" ? body.ttl : undefined,
      });
      return {
        auth: { client_token: created.token, accessor: created.accessor, policies: created.policies },
      };
    }
    if (path === "auth/token/accessors" && method === "LIST") {
      await this.authorize(caller, "list", path, true);
      const live = this.tokens().filter((t) => !t.revoked && !t.policies.includes("root"));
      return { data: { keys: live.map((t) => t.accessor) } };
    }
    if ((path === "auth/token/lookup-accessor" || path === "auth/token/revoke-accessor") && write) {
      await this.authorize(caller, "update", path, true);
      const token = [...this.tokenStore.values()].find((t) => t.accessor === body.accessor);
      if (!token || token.revoked) throw badRequest("invalid accessor");
      if (path.endsWith("lookup-accessor")) return { data: FakeVault.tokenData(token) };
      token.revoked = true;
      return undefined;
    }
    throw notFound();
  }

  // ---- leases ----

  private async revokeLease(leaseId: string): Promise<void> {
    const lease = this.leaseStore.get(leaseId);
    if (!lease) throw badRequest("invalid lease ID");
    await this.dropDynamicUser(lease);
  }

  private async revokePrefix(prefix: string): Promise<void> {
    const clean = prefix.replace(/\/+$/, "");
    for (const lease of this.leaseStore.values())
      if (!lease.revoked && (lease.leaseId === clean || lease.leaseId.startsWith(`${clean}/`)))
        await this.dropDynamicUser(lease);
    for (const token of this.tokenStore.values())
      if (!token.policies.includes("root") && (token.path === clean || token.path.startsWith(`${clean}/`)))
        token.revoked = true;
  }

  // ---- database ----

  private database(mount: string): DatabaseMount {
    const database = this.databaseMounts.get(mount);
    if (!database) throw new Error(`no database secrets engine at ${mount}/ (enableDatabase first)`);
    return database;
  }

  private async rotateStatic(mount: string, roleName: string): Promise<void> {
    const database = this.database(mount);
    const role = database.staticRoles.get(roleName)!;
    const password = randomBytes(18).toString("base64url").replace(/[-_]/g, "x");
    const statements = role.rotationStatements ?? [`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}';`];
    for (const statement of statements) {
      await database.postgres.query(
        fillTemplate(statement, { name: role.username, username: role.username, password }),
      );
    }
    role.password = password;
    role.lastRotation = this.clock();
  }

  private async dropDynamicUser(lease: FakeLease): Promise<void> {
    if (lease.revoked) return;
    const database = this.database(lease.mount);
    const role = database.dynamicRoles.get(lease.role);
    const statements = role?.revocationStatements ?? [`DROP ROLE IF EXISTS "{{name}}";`];
    await database.postgres.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`,
      [lease.username],
    );
    for (const statement of statements)
      await database.postgres.query(
        fillTemplate(statement, { name: lease.username, username: lease.username }),
      );
    lease.revoked = true;
  }

  private async databaseEndpoint(
    mount: string,
    database: DatabaseMount,
    method: string,
    fullPath: string,
    caller: FakeToken | undefined,
  ): Promise<unknown> {
    const rest = fullPath.slice(mount.length + 1);
    const [operation, roleName] = [rest.slice(0, rest.indexOf("/")), rest.slice(rest.indexOf("/") + 1)];
    if (operation === "static-creds" && method === "GET") {
      await this.authorize(caller, "read", fullPath);
      const role = database.staticRoles.get(roleName);
      if (!role) throw badRequest(`unknown role: ${roleName}`);
      const elapsed = Math.floor((this.clock().getTime() - role.lastRotation.getTime()) / 1000);
      return {
        data: {
          last_vault_rotation: role.lastRotation.toISOString(),
          password: role.password,
          rotation_period: role.rotationPeriod,
          ttl: Math.max(0, role.rotationPeriod - elapsed),
          username: role.username,
        },
      };
    }
    if (operation === "rotate-role" && (method === "POST" || method === "PUT")) {
      await this.authorize(caller, "update", fullPath);
      if (!database.staticRoles.has(roleName)) throw badRequest(`unknown role: ${roleName}`);
      await this.rotateStatic(mount, roleName);
      return undefined;
    }
    if (operation === "creds" && method === "GET") {
      await this.authorize(caller, "read", fullPath);
      const role = database.dynamicRoles.get(roleName);
      if (!role) throw badRequest(`unknown role: ${roleName}`);
      const username = `v-${roleName.slice(0, 20)}-${randomBytes(6).toString("hex")}`.toLowerCase();
      const password = randomBytes(18).toString("base64url").replace(/[-_]/g, "x");
      const ttl = role.ttl ?? 3600;
      const expiresAt = new Date(this.clock().getTime() + ttl * 1000);
      for (const statement of role.creationStatements)
        await database.postgres.query(
          fillTemplate(statement, {
            name: username,
            username,
            password,
            expiration: expiresAt.toISOString(),
          }),
        );
      const leaseId = `${mount}/creds/${roleName}/${randomBytes(12).toString("base64url")}`;
      this.leaseStore.set(leaseId, { leaseId, username, role: roleName, mount, expiresAt, revoked: false });
      return { lease_id: leaseId, lease_duration: ttl, renewable: true, data: { username, password } };
    }
    throw notFound();
  }
}
