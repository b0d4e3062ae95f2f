/**
 * Builds the rotation function's source archive: the handler and its dependencies (the rotation core,
 * `pg`) bundled by esbuild into one `index.js`, plus the `package.json` the Cloud Functions Node.js
 * buildpack reads. Built in memory once per process; the archive name carries the content hash, so a
 * code change uploads a new object and redeploys the function, and nothing else does.
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { bundleFunction } from "../../rotation/bundle";

/** Cloud Functions runtime the bundle targets. */
export const ROTATOR_RUNTIME = "nodejs22";
/** Exported function name (the Cloud Functions entry point). */
export const ROTATOR_ENTRY_POINT = "rotateSecret";

export interface RotatorBundle {
  /** Bundled `index.js`. */
  code: string;
  /** `package.json` of the deployed source. */
  packageJson: string;
  /** SHA-256 of both, hex. */
  sha256: string;
  /** The zip Cloud Build unpacks. */
  archive(): pulumi.asset.AssetArchive;
}

let cached: RotatorBundle | undefined;

export function bundleRotator(): RotatorBundle {
  if (cached) return cached;
  const code = bundleFunction({
    entry: require.resolve("./entry"),
    nodeVersion: 22,
    // The Functions Framework the buildpack installs.
    external: ["pg-native", "@google-cloud/functions-framework"],
    minify: false,
  });
  const packageJson =
    JSON.stringify(
      {
        name: "airflow-secrets-gcp-rotator",
        private: true,
        main: "index.js",
        engines: { node: "22" },
        dependencies: { "@google-cloud/functions-framework": "^3.4.0" },
      },
      null,
      2,
    ) + "\n";
  const sha256 = createHash("sha256").update(code).update("\0").update(packageJson).digest("hex");
  cached = {
    code,
    packageJson,
    sha256,
    archive: () =>
      new pulumi.asset.AssetArchive({
        "index.js": new pulumi.asset.StringAsset(code),
        "package.json": new pulumi.asset.StringAsset(packageJson),
      }),
  };
  return cached;
}
