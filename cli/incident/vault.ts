/**
 * Vault for the incident commands, over Vault's HTTP API with the caller's token (`VAULT_ADDR`,
 * `VAULT_TOKEN` or ~/.vault-token, `VAULT_NAMESPACE`), as the `vault` CLI sends it.
 *
 * rotate-now: KV connections have no rotator in Vault; what Vault rotates are the database secrets
 * engine's credentials. A static role (`database.staticRoles[].name`) is rotated with
 * `POST {mount}/rotate-role/{role}` and its new password proven by logging in with
 * `{mount}/static-creds/{role}`; dynamic roles' credentials are revoked by prefix
 * (`sys/leases/revoke-prefix/{mount}/creds/{role}`, Vault drops those users), then a fresh one is
 * issued, proven and revoked again.
 *
 * revoke: the Airflow Kubernetes auth role's live tokens, found by accessor (`auth/token/accessors`,
 * `lookup-accessor`, metadata `role`) and revoked with `revoke-accessor`, so other roles of the mount
 * keep theirs (`sys/leases/revoke-prefix/auth/<mount>/login` would revoke every role's).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { verifyLogin } from "../../components/rotation/rotate";
import type { AirflowConnectionJson } from "../../components/rotation/connection";
import { logsIn } from "./rotateSteps";
import { StepFailed, StepLog } from "./steps";
import { IncidentTarget, resourcesOf } from "./target";

type Fetch = typeof fetch;

export interface VaultClientOptions {
  address: string;
  token: string;
  namespace?: string;
  fetch?: Fetch;
}

export function vaultClientFromEnvironment(env: NodeJS.ProcessEnv): () => VaultClientOptions {
  return () => {
    const address = env.VAULT_ADDR;
    if (!address) throw new Error("VAULT_ADDR is not set (the Vault the stack deploys to)");
    let token = env.VAULT_TOKEN;
    const tokenFile = path.join(os.homedir(), ".vault-token");
    if (!token && fs.existsSync(tokenFile)) token = fs.readFileSync(tokenFile, "utf8").trim();
    if (!token) throw new Error("no Vault token: set VAULT_TOKEN or log in with vault login");
    return { address, token, namespace: env.VAULT_NAMESPACE || undefined };
  };
}

class VaultApi {
  constructor(private readonly options: VaultClientOptions) {}

  async call(method: string, apiPath: string, body?: unknown): Promise<Record<string, unknown> | undefined> {
    const list = method === "LIST";
    const response = await (this.options.fetch ?? fetch)(
      `${this.options.address.replace(/\/+$/, "")}/v1/${apiPath}${list ? "?list=true" : ""}`,
      {
        method: list ? "GET" : method,
        headers: {
          "X-Vault-Token": this.options.token,
          ...(this.options.namespace ? { "X-Vault-Namespace": this.options.namespace } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      },
    );
    if (response.status === 204) return undefined;
    const parsed = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) {
      // Vault's errors name paths and rules, not values; the first one is enough.
      const [first] = (parsed.errors as string[] | undefined) ?? [];
      throw new Error(`Vault ${method} ${apiPath}: HTTP ${response.status}${first ? ` (${first})` : ""}`);
    }
    return parsed;
  }

  async data(apiPath: string): Promise<Record<string, unknown>> {
    const body = await this.call("GET", apiPath);
    return (body?.data ?? {}) as Record<string, unknown>;
  }
}

interface DatabaseRole {
  /** As declared in the stack (`staticRoles[].name`). */
  declared: string;
  /** The role in Vault (`airflow-{env}-{name}`). */
  vaultName: string;
  mount: string;
}

function databaseRoles(target: IncidentTarget, type: "static" | "dynamic"): DatabaseRole[] {
  const resourceType =
    type === "static"
      ? "vault:database/secretBackendStaticRole:SecretBackendStaticRole"
      : "vault:database/secretBackendRole:SecretBackendRole";
  const prefix = type === "static" ? "-database-static-" : "-database-role-";
  return resourcesOf(target, resourceType).map((resource) => {
    const inputs = resource.inputs as { name: string; backend: string };
    return {
      declared: resource.name.slice(resource.name.lastIndexOf(prefix) + prefix.length),
      vaultName: inputs.name,
      mount: inputs.backend,
    };
  });
}

/** The database the stack's Vault connection reaches, as a connection for the rotation core's login check. */
function databaseConnection(target: IncidentTarget, login: string, password: string): AirflowConnectionJson {
  const database = (target.settings.database ?? {}) as Record<string, unknown>;
  return {
    conn_type: "postgres",
    host: database.host,
    port: database.port ?? 5432,
    schema: database.database,
    login,
    password,
    extra: { sslmode: database.sslmode ?? "prefer" },
  };
}

async function rotateStaticRole(
  target: IncidentTarget,
  api: VaultApi,
  role: DatabaseRole,
  log: StepLog,
): Promise<void> {
  const credsPath = `${role.mount}/static-creds/${role.vaultName}`;
  log.heading(`static role ${role.declared} (${credsPath})`);
  const read = async () => {
    const data = await api.data(credsPath);
    const username = String(data.username ?? "");
    const password = String(data.password ?? "");
    log.conceal(password);
    if (!username || !password) throw new StepFailed(`${credsPath} returned no username and password`);
    return { username, password };
  };
  const before = await log.step("read the current credential", read, (c) => `login ${c.username}`);
  try {
    await log.step("rotate the role's password (rotate-role)", () =>
      api.call("POST", `${role.mount}/rotate-role/${role.vaultName}`),
    );
  } catch (error) {
    await log
      .step("the current credential still logs in", async () => {
        const current = await read();
        await verifyLogin(
          databaseConnection(target, current.username, current.password),
          "current credential",
        );
      })
      .catch(() => undefined);
    throw error;
  }
  await log.step(
    "the new credential logs in",
    async () => {
      const after = await read();
      if (after.password === before.password)
        throw new StepFailed("static-creds still returns the old password");
      await verifyLogin(databaseConnection(target, after.username, after.password), "new credential");
      return after;
    },
    (c) => `login ${c.username}`,
  );
  await log.step("the old password no longer logs in", async () => {
    if (await logsIn(databaseConnection(target, before.username, before.password), "old credential"))
      throw new StepFailed("the old password still logs in");
  });
}

async function revokeDynamicRole(
  target: IncidentTarget,
  api: VaultApi,
  role: DatabaseRole,
  log: StepLog,
): Promise<void> {
  const prefix = `${role.mount}/creds/${role.vaultName}`;
  log.heading(`dynamic role ${role.declared} (${prefix})`);
  await log.step("revoke every lease of the role (Vault drops those users)", () =>
    api.call("PUT", `sys/leases/revoke-prefix/${prefix}`),
  );
  await log.step(
    "a new credential logs in (issued, checked, revoked)",
    async () => {
      const body = await api.call("GET", prefix);
      const data = (body?.data ?? {}) as Record<string, unknown>;
      const password = String(data.password ?? "");
      log.conceal(password);
      try {
        await verifyLogin(
          databaseConnection(target, String(data.username ?? ""), password),
          "new credential",
        );
      } finally {
        if (typeof body?.lease_id === "string" && body.lease_id)
          await api.call("PUT", "sys/leases/revoke", { lease_id: body.lease_id });
      }
      return String(data.username ?? "");
    },
    (username) => `login ${username}`,
  );
}

export async function vaultRotateNow(
  target: IncidentTarget,
  selection: { conn?: string; allRotated: boolean },
  log: StepLog,
  client: VaultClientOptions,
): Promise<{ rotated: string[]; failed: string[] }> {
  const api = new VaultApi(client);
  const statics = databaseRoles(target, "static");
  const dynamics = databaseRoles(target, "dynamic");
  let chosenStatic = statics;
  let chosenDynamic = dynamics;
  if (!selection.allRotated) {
    const wanted = (selection.conn ?? "").split(",").filter((id) => id !== "");
    const unknown = wanted.filter(
      (id) => !statics.some((r) => r.declared === id) && !dynamics.some((r) => r.declared === id),
    );
    if (unknown.length > 0)
      throw new Error(
        `on Vault, --conn names a database role of the stack (static: ${statics.map((r) => r.declared).join(", ") || "none"}; ` +
          `dynamic: ${dynamics.map((r) => r.declared).join(", ") || "none"}), not ${unknown.join(", ")}; ` +
          "KV connections are changed with pulumi config set --secret and pulumi up",
      );
    chosenStatic = statics.filter((r) => wanted.includes(r.declared));
    chosenDynamic = dynamics.filter((r) => wanted.includes(r.declared));
  }
  if (chosenStatic.length + chosenDynamic.length === 0)
    throw new Error(`stack ${target.stack} has no database role in Vault (vault.database) to rotate`);
  const failed: string[] = [];
  for (const role of chosenStatic) {
    try {
      await rotateStaticRole(target, api, role, log);
    } catch {
      failed.push(role.declared);
    }
  }
  for (const role of chosenDynamic) {
    try {
      await revokeDynamicRole(target, api, role, log);
    } catch {
      failed.push(role.declared);
    }
  }
  const rotated = [...chosenStatic, ...chosenDynamic]
    .map((r) => r.declared)
    .filter((r) => !failed.includes(r));
  return { rotated, failed };
}

/** The Kubernetes auth role Airflow logs in with: its mount and name, from the synth. */
export function airflowAuthRole(target: IncidentTarget): { mount: string; role: string } {
  const [resource] = resourcesOf(target, "vault:kubernetes/authBackendRole:AuthBackendRole");
  const inputs = (resource?.inputs ?? {}) as { backend?: string; roleName?: string };
  if (!inputs.roleName) throw new Error(`stack ${target.stack} has no Vault Kubernetes auth role`);
  return { mount: inputs.backend ?? "kubernetes", role: inputs.roleName };
}

/** Revokes every live token the Airflow auth role issued; returns how many. */
export async function revokeVaultRoleTokens(
  target: IncidentTarget,
  client: VaultClientOptions,
  log: StepLog,
): Promise<number> {
  const api = new VaultApi(client);
  const { mount, role } = airflowAuthRole(target);
  const accessors = await log.step(
    "list token accessors (auth/token/accessors)",
    async () =>
      (((await api.call("LIST", "auth/token/accessors"))?.data ?? {}) as { keys?: string[] }).keys ?? [],
    (keys) => `${keys.length} live tokens`,
  );
  const ofRole = await log.step(
    `find the tokens of auth/${mount} role ${role}`,
    async () => {
      const found: string[] = [];
      for (const accessor of accessors) {
        const body = await api.call("POST", "auth/token/lookup-accessor", { accessor });
        const info = (body?.data ?? {}) as { path?: string; meta?: Record<string, string> | null };
        if (info.path?.startsWith(`auth/${mount}/login`) && info.meta?.role === role) found.push(accessor);
      }
      return found;
    },
    (found) => `${found.length}`,
  );
  await log.step(
    `revoke them (auth/token/revoke-accessor)`,
    async () => {
      for (const accessor of ofRole) await api.call("POST", "auth/token/revoke-accessor", { accessor });
    },
    () => `${ofRole.length} revoked; pods log in again with their service account token`,
  );
  return ofRole.length;
}
