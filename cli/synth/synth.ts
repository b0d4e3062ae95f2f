/**
 * `airflow-secrets synth`: runs the stack program under Pulumi's mock runtime (no CLI, no plugins,
 * no credentials) and returns every resource with its inputs, the stack outputs and the Airflow
 * configuration, secrets shown as "[secret]", sorted so the result is byte-stable.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify as stringifyYaml } from "yaml";
import {
  installMocks,
  isSecretValue,
  resolveOutput,
  RecordedResource,
  withoutStackCapture,
} from "./mockRuntime";
import { ProjectInfo, readStackConfig } from "./stackFile";
import { AirflowConfig, byCodeUnits } from "../../components/airflow";

export const SECRET_MARK = "[secret]";

export interface SynthResource {
  urn: string;
  type: string;
  name: string;
  parent?: string;
  custom: boolean;
  inputs: unknown;
  options: { protect: boolean; retainOnDelete: boolean };
}

export interface SynthResult {
  stack: string;
  configFile: string;
  resources: SynthResource[];
  outputs: Record<string, unknown>;
  airflowConfig?: AirflowConfig;
  /** Raw recorded resources with secrets still wrapped (for policies and tests; not printed). */
  raw: RecordedResource[];
}

/** Replaces wrapped secrets with the mark and sorts object keys at every depth. */
export function redact(value: unknown): unknown {
  if (isSecretValue(value)) return SECRET_MARK;
  if (Array.isArray(value)) return value.map(redact);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, redact((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export interface SynthOptions {
  project: ProjectInfo;
  stack: string;
  configFile: string;
  /** Module exporting `deployEnvironment()`; defaults to the project's stacks/program. */
  programModule?: string;
}

/**
 * The project's own `stacks/program` when it has one (this repository, or a fork of its program);
 * otherwise the library's program, so a project that holds only `Pulumi.<env>.yaml` files and points
 * Pulumi's `main` at `node_modules/airflow-secrets/dist/stacks` synthesizes exactly what it deploys.
 */
export function stackProgram(projectRoot: string): string {
  // This package's own checkout: its program is the library's, run as the CLI runs (compiled from
  // dist/ when that is current), not its TypeScript through ts-node.
  if (samePath(projectRoot, PACKAGE_ROOT)) return LIBRARY_PROGRAM;
  const own = path.join(projectRoot, "stacks", "program");
  for (const extension of [".ts", ".js"]) if (fs.existsSync(own + extension)) return own;
  return LIBRARY_PROGRAM;
}

const LIBRARY_PROGRAM = path.join(__dirname, "..", "..", "stacks", "program");
/** This package's root, whether this file runs compiled (dist/cli/synth) or as a source (cli/synth). */
const PACKAGE_ROOT = ((up) => (path.basename(up) === "dist" ? path.dirname(up) : up))(
  path.resolve(__dirname, "..", ".."),
);

function samePath(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}

/** Whether `programPath` is this package's own stack program (the one that reads `airflow-secrets:*`). */
export function isLibraryProgram(programPath: string): boolean {
  return path.resolve(programPath) === path.resolve(LIBRARY_PROGRAM);
}

export async function synthesize(options: SynthOptions): Promise<SynthResult> {
  const programPath = options.programModule ?? stackProgram(options.project.root);
  const stackConfig = readStackConfig(options.configFile, options.project.name, {
    libraryProgram: isLibraryProgram(programPath),
  });
  const session = installMocks({
    project: options.project.name,
    stack: options.stack,
    config: stackConfig.config,
    secretKeys: stackConfig.secretKeys,
  });
  const asyncErrors: unknown[] = [];
  const onRejection = (error: unknown) => asyncErrors.push(error);
  process.on("unhandledRejection", onRejection);
  try {
    const outputs: Record<string, unknown> = {};
    await withoutStackCapture(async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const program = require(programPath) as { deployEnvironment(): Record<string, unknown> };
      const rawOutputs = program.deployEnvironment();
      await session.settle();
      for (const key of Object.keys(rawOutputs).sort()) {
        const { value, secret } = await resolveOutput(rawOutputs[key]);
        outputs[key] = secret ? SECRET_MARK : redact(value);
      }
      await session.settle();
    });
    if (asyncErrors.length > 0) throw asyncErrors[0];
    const resources = [...session.resources]
      .sort((a, b) => byCodeUnits(a.urn, b.urn))
      .map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent,
        custom: r.custom,
        inputs: redact(r.inputs),
        options: { protect: r.protect, retainOnDelete: r.retainOnDelete },
      }));
    return {
      stack: options.stack,
      configFile: path.relative(options.project.root, options.configFile),
      resources,
      outputs,
      airflowConfig: outputs.airflowConfig as AirflowConfig | undefined,
      raw: session.resources,
    };
  } finally {
    process.off("unhandledRejection", onRejection);
  }
}

/** The JSON document `synth --json` prints. */
export function synthJson(result: SynthResult): string {
  const { raw: _raw, ...printable } = result;
  return JSON.stringify(redact(printable), null, 2) + "\n";
}

/** The human view: the resource tree, then the Airflow configuration. */
export function synthText(result: SynthResult): string {
  const children = new Map<string | undefined, SynthResource[]>();
  for (const r of result.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const lines: string[] = [
    `Stack ${result.stack} (${result.configFile}): ${result.resources.length} resources`,
  ];
  const walk = (parent: string | undefined, indent: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((r, i) => {
      const last = i === list.length - 1;
      const flags = [r.options.protect ? "protected" : "", r.options.retainOnDelete ? "retained" : ""].filter(
        Boolean,
      );
      lines.push(
        `${indent}${last ? "└─ " : "├─ "}${r.type}  ${r.name}${flags.length ? `  [${flags.join(", ")}]` : ""}`,
      );
      walk(r.urn, indent + (last ? "   " : "│  "));
    });
  };
  walk(undefined, "");
  const config = result.airflowConfig;
  if (config) {
    lines.push("", "Airflow configuration (environment):");
    const env = Object.entries(config.env);
    if (env.length === 0) lines.push("  (none: the environment-variable backend is always read first)");
    for (const [k, v] of env) lines.push(`  ${k}=${v}`);
    if (config.cfg)
      lines.push(
        "",
        "airflow.cfg:",
        ...config.cfg
          .trimEnd()
          .split("\n")
          .map((l) => `  ${l}`),
      );
  }
  const helm = result.outputs.helmValues;
  if (helm !== null && typeof helm === "object")
    lines.push(
      "",
      "Helm values for the official Apache Airflow chart (pass with -f, or merge into yours):",
      ...stringifyYaml(helm)
        .trimEnd()
        .split("\n")
        .map((l) => `  ${l}`),
    );
  const other = Object.entries(result.outputs).filter(
    ([k]) => !["airflowConfig", "airflowEnv", "airflowCfg", "helmValues"].includes(k),
  );
  if (other.length > 0) {
    lines.push("", "Outputs:");
    for (const [k, v] of other) lines.push(`  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  }
  return lines.join("\n") + "\n";
}
