/**
 * The script an import writes: one `pulumi config set --secret --path` per secret, each reading
 * its value on stdin from the extractor, which reads it from the export file. No value is ever an
 * argument of a command, part of the script, or printed. The extractor is bundled (esbuild) into
 * one dependency-free file beside the script, so the script runs with plain `node`.
 */
import { buildSync } from "esbuild";
import * as fs from "fs";
import * as path from "path";
import type { SecretSetting } from "./plan";

export const SCRIPT_NAME = "set-secrets.sh";
export const EXTRACTOR_NAME = "extract-secret.js";

/** POSIX shell single quoting. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface ScriptTarget {
  stack: string;
  /** Passed as --config-file when the stack file is not where Pulumi looks for it. */
  configFile?: string;
  /** Folder `pulumi` runs in (the project holding Pulumi.yaml). */
  projectRoot: string;
}

export function renderScript(settings: readonly SecretSetting[], target: ScriptTarget): string {
  const flags = [
    "--secret",
    "--path",
    "--stack",
    shellQuote(target.stack),
    ...(target.configFile ? ["--config-file", shellQuote(target.configFile)] : []),
  ].join(" ");
  const lines = [
    "#!/usr/bin/env bash",
    `# Written by \`airflow-secrets import\` for stack ${target.stack}: sets each imported secret with`,
    "# `pulumi config set --secret`, which reads the value on stdin from the extractor; no value is",
    "# ever an argument, part of this file or printed. Run it once, then delete the export files.",
    "set -euo pipefail",
    'here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
    `cd ${shellQuote(target.projectRoot)}`,
    "",
  ];
  for (const setting of settings) {
    lines.push(
      `node "$here/${EXTRACTOR_NAME}" ${shellQuote(setting.file)} ${shellQuote(JSON.stringify(setting.locator))} | ` +
        `pulumi config set ${flags} -- ${shellQuote(setting.configPath)}`,
    );
  }
  lines.push(`echo ${shellQuote(`${settings.length} secret(s) set in stack ${target.stack}`)}`, "");
  return lines.join("\n");
}

/** The extractor as one CommonJS file (its TypeScript source when run from a checkout, else the compiled module). */
export function bundleExtractor(): string {
  const entry = require.resolve("./extractSecret");
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  return `#!/usr/bin/env node\n${result.outputFiles[0].text}`;
}

export function writeScript(directory: string, script: string): { script: string; extractor: string } {
  fs.mkdirSync(directory, { recursive: true });
  const scriptPath = path.join(directory, SCRIPT_NAME);
  const extractorPath = path.join(directory, EXTRACTOR_NAME);
  fs.writeFileSync(extractorPath, bundleExtractor(), { mode: 0o755 });
  fs.writeFileSync(scriptPath, script, { mode: 0o755 });
  return { script: scriptPath, extractor: extractorPath };
}
