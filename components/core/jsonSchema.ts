/**
 * The editor JSON Schema of a `Pulumi.<env>.yaml` (`schema/stack.schema.json`), generated from the
 * same Zod schemas the program parses with, so it cannot drift from what synth accepts. Any scalar may
 * be a `secure:` value in the file (Pulumi decrypts it before the program reads it).
 */
import { z } from "zod";
import { BACKEND_NAMES, CONFIG_NAMESPACE, topLevelShape } from "./stackSchema";
import { backendSettingsSchemas } from "./stackSettings";

const SECURE = {
  type: "object",
  description: "A Pulumi secret: `pulumi config set --secret --path …` writes it.",
  properties: { secure: { type: "string" } },
  required: ["secure"],
  additionalProperties: false,
};

const SCALAR_TYPES = new Set(["string", "number", "integer", "boolean"]);

/** Every scalar also accepts `{secure: …}`. */
function allowSecure(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(allowSecure);
  if (node === null || typeof node !== "object") return node;
  const record = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[key] = allowSecure(value);
  if (typeof record.type === "string" && SCALAR_TYPES.has(record.type)) {
    const { description, ...scalar } = out;
    return {
      ...(description !== undefined ? { description } : {}),
      anyOf: [scalar, { $ref: "#/definitions/secure" }],
    };
  }
  return out;
}

function toJson(schema: z.ZodType): unknown {
  const json = z.toJSONSchema(schema, {
    target: "draft-7",
    io: "input",
    unrepresentable: "any",
    override: (ctx) => {
      // A TypeScript caller's Output: nothing a file can hold.
      if (ctx.zodSchema instanceof z.ZodCustom) (ctx.jsonSchema as Record<string, unknown>).not = {};
    },
  }) as Record<string, unknown>;
  delete json.$schema;
  return allowSecure(json);
}

export function stackJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(topLevelShape))
    properties[`${CONFIG_NAMESPACE}:${key}`] = toJson(schema);
  const backends = backendSettingsSchemas();
  for (const name of BACKEND_NAMES) {
    const schema = backends[name];
    if (schema !== undefined)
      properties[`${CONFIG_NAMESPACE}:${name}`] = {
        ...(toJson(schema) as object),
        description: `Settings of the ${name} backend (only with backend: ${name}).`,
      };
  }
  // The standby's settings are each backend's own block: referenced, not copied five more times.
  const mirror = properties[`${CONFIG_NAMESPACE}:mirror`] as {
    oneOf?: Array<{ properties: Record<string, unknown> }>;
  };
  for (const option of mirror?.oneOf ?? [])
    for (const name of BACKEND_NAMES) {
      const settings = option.properties[name] as { description?: string } | undefined;
      if (settings !== undefined && properties[`${CONFIG_NAMESPACE}:${name}`] !== undefined)
        option.properties[name] = {
          description: settings.description,
          $ref: `#/properties/config/properties/${CONFIG_NAMESPACE}:${name}`,
        };
    }
  const known = Object.keys(properties)
    .map((k) => k.slice(CONFIG_NAMESPACE.length + 1))
    .join("|");
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://github.com/airflow-secrets/airflow-secrets/schema/stack.schema.json",
    title: "airflow-secrets stack file (Pulumi.<env>.yaml)",
    description: "Generated from the Zod schemas in components/; do not edit by hand.",
    type: "object",
    definitions: { secure: SECURE },
    properties: {
      config: {
        type: "object",
        properties,
        required: [`${CONFIG_NAMESPACE}:environment`, `${CONFIG_NAMESPACE}:backend`],
        patternProperties: {
          // Unknown keys in our namespace, and namespaces that only look like ours.
          [`^(${CONFIG_NAMESPACE}:(?!(${known})$)|(?!${CONFIG_NAMESPACE}:)[Aa][Ii][Rr][Ff][Ll][Oo][Ww][^A-Za-z0-9:]*[Ss][Ee][Cc][Rr][Ee][Tt][Ss]?:)`]: false,
        },
      },
      secretsprovider: { type: "string" },
      encryptedkey: { type: "string" },
      encryptionsalt: { type: "string" },
      environment: { description: "Pulumi ESC: refused by synth/check, which cannot open it offline." },
    },
    additionalProperties: false,
  };
}

export const stackJsonSchemaText = () => JSON.stringify(stackJsonSchema(), null, 2) + "\n";
