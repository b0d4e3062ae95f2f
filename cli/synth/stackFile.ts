/**
 * Reads a Pulumi project and a stack config file the way the Pulumi CLI would hand them to a
 * program, without the CLI: keys are namespaced, objects are JSON strings, and `secure:` values,
 * which cannot be decrypted offline, become placeholders that stay marked secret.
 */
import * as fs from "fs";
import * as path from "path";
import { parse, parseDocument } from "yaml";
import { Problems, validateOrThrow } from "../../components/airflow";
import { CONFIG_NAMESPACE } from "../../components/core/stackSchema";
import { checkNamespaces, parseStackSettings } from "../../components/core/stackSettings";
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

/**
 * Reads a YAML file the way Pulumi does: merge keys (`<<: *base`) are applied, a duplicated key is an
 * error and invalid UTF-8 is refused. Errors name the line and column, never the text there: a
 * duplicated `password:` line would otherwise be printed back.
 */
export function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(fs.readFileSync(file));
  } catch {
    validateOrThrow(`Stack file ${file}`, (problems) =>
      problems.add("(file)", "is not valid UTF-8 (Pulumi reads stack files as UTF-8)"),
    );
    throw new Error("unreachable");
  }
  const document = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: false });
  const error = document.errors[0];
  if (error !== undefined) {
    const before = text.slice(0, error.pos[0]);
    const where = { line: before.split("\n").length, col: before.length - before.lastIndexOf("\n") };
    const rule =
      error.code === "DUPLICATE_KEY"
        ? "a key is given twice in the same map (Pulumi refuses the file)"
        : `YAML syntax error (${error.code})`;
    validateOrThrow(`Stack file ${file}`, (problems) =>
      problems.add(where ? `line ${where.line}, column ${where.col}` : "(file)", rule),
    );
  }
  return document.toJS({ maxAliasCount: 1000 });
}

export interface ReadStackConfigOptions {
  /**
   * The stack runs this package's program, which reads `airflow-secrets:*` and needs its settings.
   * A user's own program composes the components with whatever config it likes: its file is held to
   * the schema only for the `airflow-secrets:*` keys it actually has. Defaults to true.
   */
  libraryProgram?: boolean;
}

export function readStackConfig(
  file: string,
  projectName: string,
  options: ReadStackConfigOptions = {},
): StackConfig {
  if (!fs.existsSync(file)) throw new Error(`stack config file ${file} does not exist`);
  const document = readYamlFile(file);
  const problems = new Problems();
  if (
    document !== null &&
    document !== undefined &&
    (typeof document !== "object" || Array.isArray(document))
  )
    throw new Error(`${file} must be a map with a config: key`);
  const top = (document ?? {}) as Record<string, unknown>;
  for (const esc of ["imports", "environment"])
    if (top[esc] !== undefined)
      problems.add(
        esc,
        "Pulumi ESC environments cannot be opened offline, so synth and check would judge a different configuration than pulumi up; put the values in this file's config: (secrets as secure: values)",
      );
  const rawConfig = top.config ?? {};
  if (typeof rawConfig !== "object" || rawConfig === null || Array.isArray(rawConfig))
    throw new Error(`${file}: config must be a map of namespace:key settings`);
  const raw = rawConfig as Record<string, unknown>;
  checkNamespaces(Object.keys(raw), problems);
  // The file's own types (null, numbers, maps) are checked here, before Pulumi turns them into text.
  const namespaced: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw))
    if (key.startsWith(`${CONFIG_NAMESPACE}:`))
      namespaced[key.slice(CONFIG_NAMESPACE.length + 1)] = replaceSecure(value).value;
  if ((options.libraryProgram ?? true) || Object.keys(namespaced).length > 0) {
    const shape = new Problems();
    parseStackSettings(namespaced, shape, { backendShape: true });
    problems.merge(shape);
  }
  checkStackFileSecrets(raw, CONFIG_NAMESPACE, problems);
  problems.throwIfAny(`Stack file ${file}`);
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

/** The project, stack file and stack name that `--stack NAME` or `--config-file FILE` (from `cwd`) mean. */
export function locateStack(options: { stack?: string; configFile?: string; cwd?: string }): {
  project: ProjectInfo;
  configFile: string;
  stack: string;
} {
  const cwd = options.cwd ?? process.cwd();
  const project = findProject(cwd);
  const configFile = options.configFile
    ? path.resolve(cwd, options.configFile)
    : stackConfigFile(project, options.stack!);
  const stack = options.stack ?? path.basename(configFile).replace(/^Pulumi\.(.*)\.ya?ml$/, "$1");
  return { project, configFile, stack };
}
