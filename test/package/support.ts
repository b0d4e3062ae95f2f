/**
 * Shared by the end-to-end package tests: running commands with npm pointed at the local cache (the
 * suite stays offline and quick), and packing this working tree the way `npm publish` would.
 */
import { SpawnSyncOptions, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "../..");

/** npm from the local cache first, without audit, funding or update chatter. */
export const NPM_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  npm_config_prefer_offline: "true",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
  npm_config_progress: "false",
};

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): Ran {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    env: NPM_ENV,
    maxBuffer: 256 * 1024 * 1024,
    ...options,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Runs and insists on exit 0, showing the output otherwise. */
export function runOk(command: string, args: readonly string[], options: SpawnSyncOptions = {}): Ran {
  const result = run(command, args, options);
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(" ")} exited ${result.status}\n${result.stdout}\n${result.stderr}`,
    );
  return result;
}

/** The version of a package as this repository's lockfile installed it (so npm finds it in the cache). */
export function installedVersion(name: string): string {
  return (
    JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")) as {
      version: string;
    }
  ).version;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Top-level entries of the working tree that are not part of what `npm pack` builds from. */
const NOT_SOURCES = new Set(["node_modules", "dist", ".git", "coverage", ".airflow-secrets"]);

/**
 * `npm pack` of this working tree, built in a copy (its node_modules linked) so the test never
 * rebuilds the dist/ of the checkout it runs in. Returns the tarball and what pack printed.
 */
export function packWorkingTree(into: string): { tarball: string; stdout: string } {
  const stage = path.join(into, "stage");
  fs.cpSync(ROOT, stage, {
    recursive: true,
    filter: (source) => {
      const relative = path.relative(ROOT, source).split(path.sep);
      return !NOT_SOURCES.has(relative[0]) && !(relative[0] === "bench" && relative[1] === "out");
    },
  });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(stage, "node_modules"), "dir");
  const packed = runOk("npm", ["pack", "--pack-destination", into], { cwd: stage });
  return { tarball: path.join(into, packed.stdout.trim()), stdout: packed.stdout };
}
