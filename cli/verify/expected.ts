/**
 * What each declared id should read as, from the stack's plan: the names Airflow looks up and the
 * values the contract encodes (components/airflow plan and serialisation), seen the way Airflow parses
 * them. Secret fields in a stack file are `secure:` ciphertext that only the Pulumi CLI decrypts: given
 * `pulumi config --show-secrets --json`, their values are compared too; without it only their presence
 * is (any non-empty value). Passwords of rotated connections belong to the rotator, so only their
 * presence is checked whatever the config says (and an alternating-users login is either user).
 */
import { randomBytes } from "crypto";
import {
  BackendKind,
  BackendProfile,
  ConfigDeclaration,
  ConnectionDeclaration,
  Problems,
  ResolvedConnection,
  SecretKind,
  SecretsLayout,
  AirflowSettings,
  configKey,
  rotationMasterIds,
  tryPlanSecrets,
} from "../../components/airflow";
import { CONFIG_NAMESPACE } from "../../components/core/stackSchema";
import { standbyDeclarations } from "../../components/mirror";
import { AirflowView, connectionView, scalarText } from "./airflowView";

/** What one field must read as. */
export type FieldRule =
  | { exact: string }
  /** A secret field whose value is not known here: present and non-empty. */
  | { present: true }
  /** A text with unknown secret parts (`pattern` matches the whole text). */
  | { pattern: RegExp }
  | { oneOf: string[] }
  /** Airflow's fernet_key: comma-separated url-safe base64 keys of 32 bytes. */
  | { fernetKeys: true };

export interface Expectation {
  kind: SecretKind;
  id: string;
  /** The name (or path) Airflow looks up. */
  name: string;
  /** Connections: a rule per Airflow field; variables and config: one rule under `value`. */
  fields: Record<string, FieldRule>;
  connection: boolean;
  /** A whole `extra` that is secret and not known: any extra fields are accepted, at least one required. */
  anyExtra?: boolean;
  rotation?: { strategy: string; everyDays: number };
  /** Why Airflow's reader does not look this id up (it is not verified). */
  skip?: string;
  /** Whether every field is known exactly (a value equal to an earlier version's is then a declared one). */
  fullyKnown: boolean;
}

/** The store an expectation set is for: the primary backend, or (once stacks have one) the mirror. */
export interface StoreTarget {
  kind: BackendKind;
  profile: BackendProfile;
  layout: SecretsLayout;
  environment: string;
  airflow: AirflowSettings;
  /** The standby of `mirror:`, which stores the declarations as `standbyDeclarations` says. */
  standby?: boolean;
}

/** `pulumi config --show-secrets --json`: `{ "ns:key": { value, objectValue?, secret } }`. */
export type DecryptedConfig = Record<string, unknown>;

export function parseDecryptedConfig(text: string, source: string): DecryptedConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not JSON (expected the output of pulumi config --show-secrets --json)`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error(
      `${source} is not a JSON object (expected the output of pulumi config --show-secrets --json)`,
    );
  const values: DecryptedConfig = {};
  for (const [key, entry] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof entry !== "object" || entry === null) continue;
    const { value, objectValue } = entry as { value?: unknown; objectValue?: unknown };
    if (objectValue !== undefined) values[key] = objectValue;
    else if (typeof value === "string") {
      try {
        const decoded: unknown = JSON.parse(value);
        values[key] = typeof decoded === "object" && decoded !== null ? decoded : value;
      } catch {
        values[key] = value;
      }
    }
  }
  return values;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isSecure = (value: unknown) => isRecord(value) && Object.keys(value).length === 1 && "secure" in value;

/** Stand-ins for unknown secrets: lower-case letters and digits survive every encoding unchanged. */
class Unknowns {
  private readonly prefix = `zzunknown${randomBytes(6).toString("hex")}n`;
  private count = 0;
  next(): string {
    return `${this.prefix}${this.count++}zz`;
  }
  readonly matcher = () => new RegExp(`${this.prefix}\\d+zz`, "g");
  has(text: string): boolean {
    return text.includes(this.prefix);
  }
}

/**
 * The stack file's list with every `secure:` leaf replaced by the decrypted value at the same place, or
 * by an unknown stand-in. The decrypted list must be the same stack's (same ids, same plain values).
 */
function withSecrets(
  list: readonly Record<string, unknown>[],
  decrypted: unknown,
  listKey: string,
  unknowns: Unknowns,
  unknownExtras: Set<number>,
): Record<string, unknown>[] {
  const mismatch = (at: string) =>
    new Error(
      `the decrypted config does not match the stack file at ${at}: pass the output of pulumi config --show-secrets --json for this stack`,
    );
  const walk = (value: unknown, plain: unknown, at: string, index: number, depth: number): unknown => {
    if (isSecure(value)) {
      if (plain !== undefined && !isSecure(plain) && plain !== "[secret]") return plain;
      if (depth === 1 && at.endsWith(".extra")) {
        unknownExtras.add(index);
        return undefined;
      }
      return unknowns.next();
    }
    if (Array.isArray(value))
      return value.map((item, i) =>
        walk(item, Array.isArray(plain) ? plain[i] : undefined, `${at}[${i}]`, index, depth + 1),
      );
    if (isRecord(value))
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [
          key,
          walk(item, isRecord(plain) ? plain[key] : undefined, `${at}.${key}`, index, depth + 1),
        ]),
      );
    if (plain !== undefined && JSON.stringify(plain) !== JSON.stringify(value)) throw mismatch(at);
    return value;
  };
  if (decrypted !== undefined && (!Array.isArray(decrypted) || decrypted.length !== list.length))
    throw mismatch(listKey);
  return list.map(
    (item, i) =>
      walk(item, Array.isArray(decrypted) ? decrypted[i] : undefined, `${listKey}[${i}]`, i, 0) as Record<
        string,
        unknown
      >,
  );
}

function rulesOf(
  view: AirflowView,
  unknowns: Unknowns,
): { fields: Record<string, FieldRule>; fullyKnown: boolean } {
  const fields: Record<string, FieldRule> = {};
  let fullyKnown = true;
  for (const [field, text] of Object.entries(view)) {
    if (!unknowns.has(text)) {
      fields[field] = { exact: text };
      continue;
    }
    fullyKnown = false;
    const parts = text.split(unknowns.matcher());
    fields[field] = parts.every((p) => p === "")
      ? { present: true }
      : {
          pattern: new RegExp(
            `^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[\\s\\S]+")}$`,
          ),
        };
  }
  return { fields, fullyKnown };
}

/** The fernet_key config secret the fernet component stores, where the backend keeps config. */
export function fernetSecretName(kind: BackendKind, profile: BackendProfile, layout: SecretsLayout): string {
  return profile.storageName(
    layout,
    "config",
    configKey({ section: "core", option: "fernet_key", value: "" }, kind),
  );
}

export interface StackDeclarations {
  connections: Record<string, unknown>[];
  variables: Record<string, unknown>[];
  config: Record<string, unknown>[];
  fernet: boolean;
}

export function expectations(
  store: StoreTarget,
  declared: StackDeclarations,
  decrypted: DecryptedConfig | undefined,
): Expectation[] {
  const unknowns = new Unknowns();
  const unknownExtras = new Set<number>();
  const key = (name: string) => `${CONFIG_NAMESPACE}:${name}`;
  const declaredConnections = withSecrets(
    declared.connections,
    decrypted?.[key("connections")],
    key("connections"),
    unknowns,
    unknownExtras,
  ) as unknown as ConnectionDeclaration[];
  const wholeExtraUnknown = new Set([...unknownExtras].map((i) => declaredConnections[i].conn_id));
  // The standby stores rotated connections as declared (no rotator) and no rotation master.
  const connections = store.standby
    ? (standbyDeclarations({ connections: declaredConnections }).connections ?? [])
    : declaredConnections;
  const variables = withSecrets(
    declared.variables,
    decrypted?.[key("variables")],
    key("variables"),
    unknowns,
    new Set(),
  );
  const config = withSecrets(declared.config, decrypted?.[key("config")], key("config"), unknowns, new Set());

  const problems = new Problems();
  const plan = tryPlanSecrets(
    {
      backend: store.kind,
      environment: store.environment,
      declarations: { connections, variables: variables as never[], config: config as never[] },
      airflow: store.airflow,
      layout: store.layout,
    },
    problems,
  );
  problems.throwIfAny(`Stack plan (${store.profile.title})`);
  const format = plan!.airflowConfig.connectionFormat ?? "json";
  const masters = rotationMasterIds(connections);
  const byId = new Map(connections.map((c) => [c.conn_id, c]));
  const rotationOf = new Map(declaredConnections.map((c) => [c.conn_id, c.rotation]));
  const variableValues = new Map(variables.map((v) => [String(v.key), v.value as string]));
  const configValues = new Map(
    (config as unknown as ConfigDeclaration[]).map((c) => [configKey(c, store.kind), c.value as string]),
  );

  const result: Expectation[] = plan!.secrets.map((secret) => {
    if (secret.kind === "connection") {
      const declaration = byId.get(secret.id)!;
      const anyExtra = wholeExtraUnknown.has(secret.id);
      // The standby's copy has no rotator: it holds the declared value, refreshed by declaring the
      // current one after each primary rotation, so its age still tells whether it kept up.
      const rotation = rotationOf.get(secret.id);
      const rotatorOwned = rotation !== undefined && !store.standby;
      const resolved: ResolvedConnection = {
        conn_type: declaration.conn_type,
        description: declaration.description,
        host: declaration.host as string | undefined,
        port: declaration.port as number | undefined,
        schema: declaration.schema as string | undefined,
        login: declaration.login as string | undefined,
        // The rotator owns a rotated password: whatever the config says, only its presence is checked.
        password:
          rotatorOwned && declaration.password !== undefined
            ? unknowns.next()
            : (declaration.password as string | undefined),
        extra: declaration.extra as Record<string, unknown> | undefined,
      };
      const view = connectionView(store.kind, store.profile.encodeConnection(resolved, format));
      const { fields, fullyKnown } = rulesOf(view, unknowns);
      if (rotatorOwned && rotation.strategy === "alternating-users" && typeof declaration.login === "string")
        fields.login = { oneOf: [declaration.login, `${declaration.login}_clone`] };
      return {
        kind: secret.kind,
        id: secret.id,
        name: secret.name,
        fields,
        connection: true,
        fullyKnown: fullyKnown && !anyExtra && !rotatorOwned,
        ...(anyExtra ? { anyExtra: true } : {}),
        ...(rotation ? { rotation: { strategy: rotation.strategy, everyDays: rotation.everyDays } } : {}),
        ...(masters.has(secret.id)
          ? { skip: "a rotation master: only the rotation function reads it, Airflow's reader may not" }
          : {}),
      };
    }
    const value = secret.kind === "variable" ? variableValues.get(secret.id) : configValues.get(secret.id);
    const text = scalarText(store.kind, store.profile.encodeScalar(String(value)));
    const { fields, fullyKnown } = rulesOf({ value: text }, unknowns);
    return { kind: secret.kind, id: secret.id, name: secret.name, fields, connection: false, fullyKnown };
  });
  if (declared.fernet && store.kind !== "env")
    result.push({
      kind: "config",
      id: "fernet_key",
      name: fernetSecretName(store.kind, store.profile, store.layout),
      fields: { value: { fernetKeys: true } },
      connection: false,
      fullyKnown: false,
    });
  return result;
}
