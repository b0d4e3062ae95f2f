/**
 * What the stack file itself must get right about secrets, which no policy can see (the engine
 * hands analyzers decrypted values): in a production stack file every secret-bearing field is
 * `secure:` ciphertext, never plaintext in git — the fields the schemas mark secret (a connection's
 * password, `vault.database.password`, …) and, inside free-form maps such as `extra`, every entry
 * named like a credential at any depth (`extra.headers.Authorization`); and in every stack file the
 * identifiers are plain, because they become resource names and URNs.
 */
import { z } from "zod";
import { Problems } from "../../components/airflow";
import { isProduction } from "../../components/core/production";
import { booleanSetting, innerSchema, isFreeFormField, isSecretField } from "../../components/core/schema";
import { topLevelShape } from "../../components/core/stackSchema";
import { backendSettingsSchemas } from "../../components/core/stackSettings";

/** Entry names that hold credentials (Airflow's own masking uses similar names). */
export const SECRET_ENTRY_NAME =
  /pass(word|wd)?|secret|token|api_?key|private_?key|credential|keyfile_dict|auth/i;
/** The same rule under its earlier name (the importer uses it for `extra` keys). */
export const SECRET_EXTRA_KEY = SECRET_ENTRY_NAME;

/** Fields that become resource names and URNs, so a `secure:` value there would break them. */
const IDENTIFIERS: Record<string, readonly string[]> = {
  connections: ["conn_id", "conn_type", "port"],
  variables: ["key"],
  config: ["section", "option", "key"],
};

const isSecure = (value: unknown) =>
  typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value;
const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Whether a stack file's raw keys describe production (a production value the schema refuses counts as production). */
export function fileIsProduction(config: Record<string, unknown>, namespace: string): boolean {
  const environment = config[`${namespace}:environment`];
  const raw = config[`${namespace}:production`];
  const parsed = raw === undefined ? undefined : booleanSetting().safeParse(raw);
  const production = parsed === undefined ? undefined : parsed.success ? parsed.data : true;
  return isProduction({ production, environment: typeof environment === "string" ? environment : "" });
}

export function checkStackFileSecrets(
  config: Record<string, unknown>,
  namespace: string,
  problems: Problems,
): void {
  const production = fileIsProduction(config, namespace);
  const plaintext = (path: string) =>
    problems.add(
      path,
      `is plaintext in a production stack file; set it with pulumi config set --secret --path '${path}' …`,
    );

  /** Entries of a free-form map named like credentials, at any depth. */
  const freeForm = (value: unknown, path: string) => {
    if (!isMap(value) || isSecure(value)) return;
    for (const [name, entry] of Object.entries(value)) {
      const at = `${path}.${name}`;
      if (isSecure(entry)) continue;
      if (SECRET_ENTRY_NAME.test(name) && !isMap(entry) && !Array.isArray(entry)) plaintext(at);
      else if (isMap(entry)) freeForm(entry, at);
      else if (Array.isArray(entry))
        // A list under a credential name holds credentials (`api_keys: [k1, k2]`); elsewhere, look inside.
        entry.forEach((item, i) =>
          SECRET_ENTRY_NAME.test(name) && !isMap(item) && !Array.isArray(item) && !isSecure(item)
            ? plaintext(`${at}[${i}]`)
            : freeForm(item, `${at}[${i}]`),
        );
    }
  };

  /** Follows the schema over the value: secret fields must be secure, free-form maps by name. */
  const walk = (schema: z.ZodType, value: unknown, path: string) => {
    if (value === undefined || isSecure(value)) return;
    if (isSecretField(schema)) return plaintext(path);
    if (isFreeFormField(schema)) return freeForm(value, path);
    const inner = innerSchema(schema);
    if (inner instanceof z.ZodObject && isMap(value)) {
      for (const [key, field] of Object.entries(inner.shape as Record<string, z.ZodType>))
        walk(field, value[key], `${path}.${key}`);
    } else if (inner instanceof z.ZodArray && Array.isArray(value)) {
      value.forEach((item, i) => walk(inner.element as z.ZodType, item, `${path}[${i}]`));
    } else if (inner instanceof z.ZodRecord && isMap(value)) {
      for (const [key, item] of Object.entries(value))
        walk(inner.valueType as z.ZodType, item, `${path}.${key}`);
    } else if (inner instanceof z.ZodUnion && isMap(value)) {
      // A union of maps (the standby's `mirror:`, one shape per backend): the shapes that hold
      // every key the value has, so a backend's settings are held to its own secret fields.
      for (const option of inner.options as z.ZodType[]) {
        const shape = innerSchema(option);
        if (shape instanceof z.ZodObject && Object.keys(value).every((k) => k in shape.shape))
          walk(shape, value, path);
      }
    }
  };

  const key = (name: string) => `${namespace}:${name}`;
  if (production) {
    const schemas: Record<string, z.ZodType | undefined> = { ...topLevelShape, ...backendSettingsSchemas() };
    for (const [name, schema] of Object.entries(schemas))
      if (schema !== undefined) walk(schema, config[key(name)], key(name));
  }
  for (const [list, fields] of Object.entries(IDENTIFIERS)) {
    const items = config[key(list)];
    if (!Array.isArray(items)) continue;
    items.forEach((item, i) => {
      if (!isMap(item)) return;
      for (const field of fields)
        if (isSecure(item[field]))
          problems.add(
            `${key(list)}[${i}].${field}`,
            "must not be a secure: value: it becomes part of resource names and URNs",
          );
    });
  }
}
