/**
 * Pulumi's policy pack config file (`pulumi preview --policy-pack-config FILE`), read and checked
 * against each policy's configSchema the way `pulumi policy validate-config` would, so a typo
 * fails in CI instead of silently leaving a default in place.
 *
 *   { "all": "advisory",
 *     "audit-sink-in-prod": "mandatory",
 *     "rotation-within-cadence": { "enforcementLevel": "mandatory", "databasePasswordMaxDays": 60 } }
 */
import * as fs from "fs";
import type { EnforcementLevel, Policy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import type { PolicyConfigMap } from "./crossguard";

export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = [
  "advisory",
  "mandatory",
  "remediate",
  "disabled",
];

export class PolicyConfigError extends Error {}

function isLevel(value: unknown): value is EnforcementLevel {
  return typeof value === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(value);
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** The JSON-schema subset policy configSchemas use: type, enum, minimum/maximum, items, additionalProperties. */
export function schemaProblems(
  value: unknown,
  schema: PolicyConfigJSONSchema | boolean,
  path: string,
): string[] {
  if (typeof schema === "boolean") return schema ? [] : [`${path}: not allowed`];
  const problems: string[] = [];
  const actual = typeOf(value);
  const allowed = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (allowed.length > 0 && !allowed.some((t) => t === actual || (t === "number" && actual === "integer"))) {
    return [`${path}: expected ${allowed.join(" or ")}, got ${actual}`];
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    problems.push(`${path}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum)
      problems.push(`${path}: must be >= ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      problems.push(`${path}: must be <= ${schema.maximum}`);
  }
  if (typeof value === "string" && schema.minLength !== undefined && value.length < schema.minLength) {
    problems.push(`${path}: must have at least ${schema.minLength} characters`);
  }
  if (Array.isArray(value) && schema.items !== undefined && !Array.isArray(schema.items)) {
    value.forEach((item, i) =>
      problems.push(...schemaProblems(item, schema.items as PolicyConfigJSONSchema, `${path}[${i}]`)),
    );
  }
  if (actual === "object" && schema.additionalProperties !== undefined) {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (!schema.properties?.[key])
        problems.push(...schemaProblems(item, schema.additionalProperties, `${path}.${key}`));
    }
  }
  return problems;
}

/** Validates a parsed config document against the policies and expands `all` into each policy's level. */
export function resolvePolicyConfig(document: unknown, policies: readonly Policy[]): PolicyConfigMap {
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new PolicyConfigError('policy config must be a JSON object keyed by policy name (or "all")');
  }
  const byName = new Map(policies.map((p) => [p.name, p]));
  const problems: string[] = [];
  const resolved: PolicyConfigMap = {};
  const entries = Object.entries(document as Record<string, unknown>);
  const all = (document as Record<string, unknown>).all;
  if (all !== undefined && !isLevel(all))
    problems.push(`all: must be one of ${ENFORCEMENT_LEVELS.join(", ")}`);

  for (const [name, value] of entries) {
    if (name === "all") continue;
    const policy = byName.get(name);
    if (!policy) {
      problems.push(`${name}: no such policy in the pack (known: ${[...byName.keys()].join(", ")})`);
      continue;
    }
    if (typeof value === "string") {
      if (isLevel(value)) resolved[name] = { enforcementLevel: value };
      else problems.push(`${name}: enforcement level must be one of ${ENFORCEMENT_LEVELS.join(", ")}`);
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      problems.push(`${name}: must be an enforcement level or an object`);
      continue;
    }
    const { enforcementLevel, ...properties } = value as Record<string, unknown>;
    if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
      problems.push(`${name}.enforcementLevel: must be one of ${ENFORCEMENT_LEVELS.join(", ")}`);
    }
    const schema = policy.configSchema;
    for (const [key, property] of Object.entries(properties)) {
      const propertySchema = schema?.properties[key];
      if (!propertySchema) {
        problems.push(
          `${name}.${key}: not a setting of this policy (settings: ${Object.keys(schema?.properties ?? {}).join(", ") || "none"})`,
        );
        continue;
      }
      problems.push(...schemaProblems(property, propertySchema, `${name}.${key}`));
    }
    for (const required of schema?.required ?? []) {
      if (properties[required] === undefined) problems.push(`${name}.${required}: required`);
    }
    resolved[name] = { ...properties, ...(isLevel(enforcementLevel) ? { enforcementLevel } : {}) };
  }
  if (problems.length > 0) throw new PolicyConfigError(`invalid policy config:\n  ${problems.join("\n  ")}`);
  if (isLevel(all)) {
    for (const policy of policies) {
      resolved[policy.name] = { enforcementLevel: all, ...resolved[policy.name] };
    }
  }
  return resolved;
}

export function readPolicyConfigFile(file: string, policies: readonly Policy[]): PolicyConfigMap {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new PolicyConfigError(`cannot read policy config ${file}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new PolicyConfigError(`policy config ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return resolvePolicyConfig(document, policies);
}
