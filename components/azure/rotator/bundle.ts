/**
 * The rotator as an Azure Functions package (classic function.json model, so no @azure/functions
 * dependency): `host.json`, `RotateSecret/function.json` with an Event Grid trigger, and one
 * esbuild bundle of `function.ts` with the rotation core and `pg` inside.
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { bundleFunction } from "../../rotation/bundle";
import { ROTATOR_FUNCTION_NAME } from "./config";

export function rotatorBundle(): string {
  return bundleFunction({
    entry: require.resolve("./function"),
    nodeVersion: 20,
    external: ["pg-native"],
    minify: true,
  });
}

export const HOST_JSON = JSON.stringify({
  version: "2.0",
  extensionBundle: { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" },
  // A rotation talks to a database and to Key Vault; a minute is plenty and bounds a hung connection.
  functionTimeout: "00:02:00",
});

export const FUNCTION_JSON = JSON.stringify({
  bindings: [{ type: "eventGridTrigger", direction: "in", name: "event" }],
  scriptFile: "../dist/rotator.js",
  entryPoint: "rotateSecret",
});

export interface RotatorPackage {
  archive: pulumi.asset.AssetArchive;
  /** Content digest: the blob name changes with the code, so the app reloads the new package. */
  digest: string;
}

export function rotatorPackage(): RotatorPackage {
  const bundle = rotatorBundle();
  const digest = createHash("sha256")
    .update(HOST_JSON)
    .update(FUNCTION_JSON)
    .update(bundle)
    .digest("hex")
    .slice(0, 16);
  return {
    digest,
    archive: new pulumi.asset.AssetArchive({
      "host.json": new pulumi.asset.StringAsset(HOST_JSON),
      [`${ROTATOR_FUNCTION_NAME}/function.json`]: new pulumi.asset.StringAsset(FUNCTION_JSON),
      "dist/rotator.js": new pulumi.asset.StringAsset(bundle),
    }),
  };
}
