/**
 * esbuild for the rotation functions: one entry module with the rotation core and `pg` inside, as
 * one CommonJS file. Build-time only: deliberately not exported from `./index`, which the bundled
 * handlers import, so esbuild never bundles itself.
 */
import { createHash } from "crypto";
import { buildSync } from "esbuild";
import * as fs from "fs";
import * as path from "path";

/** Set to "1" by the prebuild step: every bundle built is also written next to its entry. */
export const PREBUILD_ENV = "AIRFLOW_SECRETS_PREBUILD_BUNDLES";

export interface FunctionBundleOptions {
  /** Absolute path of the entry module (`require.resolve` it: `.ts` from source, `.js` compiled). */
  entry: string;
  /** Node.js major version of the function runtime. */
  nodeVersion: number;
  /** Modules left as `require` calls: what the runtime provides, and pg's optional `pg-native`. */
  external: string[];
  minify: boolean;
}

/** The folder holding the nearest package.json, so the bundle's path comments do not depend on cwd. */
function packageRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) return from;
    dir = parent;
  }
  return dir;
}

const bundles = new Map<string, string>();

/**
 * Where the bundle of a compiled entry is kept when it was prebuilt at pack time (`npm run build`
 * runs `dist/components/rotation/prebuild.js`): next to the entry, named by the options' digest, so
 * a bundle built with other options is never picked up.
 */
export function prebuiltBundlePath(options: FunctionBundleOptions): string {
  const digest = createHash("sha256").update(
    JSON.stringify({ ...options, entry: path.basename(options.entry) }),
  );
  return options.entry.replace(/\.[cm]?[jt]s$/, "") + `.${digest.digest("hex").slice(0, 12)}.bundle.js`;
}

/**
 * The bundled source, built once per process. The same sources give the same bytes whatever the
 * cwd, so content digests taken from it only change (and redeploy) when the code does. A compiled
 * entry (an installed package) uses the bundle prebuilt at pack time; sources (development) are
 * always built, so a change is never hidden behind a stale file.
 */
export function bundleFunction(options: FunctionBundleOptions): string {
  const key = JSON.stringify(options);
  let code = bundles.get(key);
  const prebuilt = prebuiltBundlePath(options);
  if (code === undefined && options.entry.endsWith(".js") && fs.existsSync(prebuilt)) {
    code = fs.readFileSync(prebuilt, "utf8");
    bundles.set(key, code);
  }
  if (code === undefined) {
    const result = buildSync({
      entryPoints: [options.entry],
      absWorkingDir: packageRoot(path.dirname(options.entry)),
      bundle: true,
      platform: "node",
      target: `node${options.nodeVersion}`,
      format: "cjs",
      minify: options.minify,
      external: options.external,
      legalComments: "none",
      write: false,
      logLevel: "silent",
    });
    code = result.outputFiles[0].text;
    bundles.set(key, code);
    if (process.env[PREBUILD_ENV] === "1") fs.writeFileSync(prebuilt, code);
  }
  return code;
}
