/**
 * The rotation handler as one CommonJS file, built with esbuild when a program is synthesised:
 * the Lambda gets plain bundled code (no closure serialisation), `pg` included, the AWS SDK v3 left
 * to the Node.js runtime.
 */
import * as pulumi from "@pulumi/pulumi";
import { bundleFunction } from "../../rotation/bundle";

/** The bundled handler source (`exports.handler`), built once per process. */
export function rotationHandlerBundle(): string {
  return bundleFunction({
    entry: require.resolve("./handler"),
    nodeVersion: 20,
    // The SDK ships with the Lambda runtime.
    external: ["@aws-sdk/*", "pg-native"],
    minify: true,
  });
}

/** File in the code archive holding the CA certificates a user gives for database TLS. */
export const ROTATION_CA_CERTIFICATES_FILE = "ca-certificates.pem";

/**
 * The Lambda code archive: `index.js` holding the bundle (the handler is `index.handler`) and, when
 * given, the PEM certificates the function trusts as `ca-certificates.pem`.
 */
export function rotationHandlerArchive(caCertificates?: string): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive({
    "index.js": new pulumi.asset.StringAsset(rotationHandlerBundle()),
    ...(caCertificates !== undefined
      ? { [ROTATION_CA_CERTIFICATES_FILE]: new pulumi.asset.StringAsset(caCertificates) }
      : {}),
  });
}
