/**
 * The rotation handler as one CommonJS file, built with esbuild when a program is synthesised:
 * the Lambda gets plain bundled code (no closure serialisation), `pg` included, the AWS SDK v3 left
 * to the Node.js runtime.
 */
import * as pulumi from "@pulumi/pulumi";
import { buildSync } from "esbuild";

let cachedBundle: string | undefined;

/** The bundled handler source (`exports.handler`), built once per process. */
export function rotationHandlerBundle(): string {
  if (cachedBundle === undefined) {
    const result = buildSync({
      // `.ts` from source, `.js` when this package runs from its compiled output.
      entryPoints: [require.resolve("./handler")],
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      minify: true,
      // The SDK ships with the Lambda runtime; pg-native is an optional binding pg only tries to load.
      external: ["@aws-sdk/*", "pg-native"],
      write: false,
      logLevel: "silent",
    });
    cachedBundle = result.outputFiles[0].text;
  }
  return cachedBundle;
}

/** The Lambda code archive: `index.js` holding the bundle; the handler is `index.handler`. */
export function rotationHandlerArchive(): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(rotationHandlerBundle()) });
}
