/**
 * Reads a Pulumi project and a stack config file the way the Pulumi CLI would hand them to a
 * program, without the CLI: keys are namespaced, objects are JSON strings, and `secure:` values,
 * which cannot be decrypted offline, become placeholders that stay marked secret.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { validateOrThrow } from "../../components/airflow";
import { CONFIG_NAMESPACE } from "../../stacks/config";
import { checkStackFileSecrets } from "./stackFileSecrets";

export const SECURE_PLACEHOLDER = "[secret]";

export interface ProjectInfo {
  name: string;
  root: string;
  /** Folder holding Pulumi.<stack>.yaml files. */
  stackConfigDir: string;
}

export interface StackConfig {
  file: string;
  /** Flat `namespace:key` → string (objects JSON-encoded), as Pulumi passes config to programs. */
  config: Record<string, string>;
  /** Keys whose value is or contains a `secure:` entry. */
  secretKeys: string[];
}

export function findProject(start = process.cwd()): ProjectInfo {
  let dir = path.resolve(start);
  for (;;) {
    const file = path.join(dir, "Pulumi.yaml");
    if (fs.existsSync(file)) {
      const project = parse(fs.readFileSync(file, "utf8")) as { name: string; stackConfigDir?: string };
      return { name: project.name, root: dir, stackConfigDir: path.join(dir, project.stackConfigDir ?? ".") };
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no Pulumi.yaml found in ${start} or any parent folder`);
    dir = parent;
  }
}

function isSecure(value: unknown): value is { secure: string } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    "secure" in value
  );
}

/** Replaces `secure:` entries with the placeholder; reports whether any were found. */
function replaceSecure(value: unknown): { value: unknown; secret: boolean } {
  if (isSecure(value)) return { value: SECURE_PLACEHOLDER, secret: true };
  if (Array.isArray(value)) {
    const items = value.map(replaceSecure);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => [k, replaceSecure(v)] as const);
    return {
      value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])),
      secret: entries.some(([, v]) => v.secret),
    };
  }
  return { value, secret: false };
}

export function readStackConfig(file: string, projectName: string): StackConfig {
  if (!fs.existsSync(file)) throw new Error(`stack config file ${file} does not exist`);
  let document: { config?: Record<string, unknown> } | null;
  try {
    document = parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  const raw = document?.config ?? {};
  validateOrThrow(`Stack file ${file}`, (problems) => checkStackFileSecrets(raw, CONFIG_NAMESPACE, problems));
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, rawValue] of Object.entries(raw)) {
    const key = rawKey.includes(":") ? rawKey : `${projectName}:${rawKey}`;
    const { value, secret } = replaceSecure(rawValue);
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
    if (secret) secretKeys.push(key);
  }
  return { file, config, secretKeys };
}

export function stackConfigFile(project: ProjectInfo, stack: string): string {
  return path.join(project.stackConfigDir, `Pulumi.${stack}.yaml`);
}
