/**
 * esbuild for the rotation functions: one entry module with the rotation core and `pg` inside, as
 * one CommonJS file. Build-time only: deliberately not exported from `./index`, which the bundled
 * handlers import, so esbuild never bundles itself.
 */
import { buildSync } from "esbuild";
import * as fs from "fs";
import * as path from "path";

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
 * The bundled source, built once per process. The same sources give the same bytes whatever the
 * cwd, so content digests taken from it only change (and redeploy) when the code does.
 */
export function bundleFunction(options: FunctionBundleOptions): string {
  const key = JSON.stringify(options);
  let code = bundles.get(key);
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
  }
  return code;
}
