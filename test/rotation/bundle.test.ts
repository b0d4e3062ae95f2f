/** The Lambda bundle: built by esbuild, loadable with nothing but Node's built-ins and the runtime's AWS SDK. */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { deflateRawSync } from "zlib";
import * as pulumi from "@pulumi/pulumi";
import { rotationHandlerArchive, rotationHandlerBundle } from "../../components/aws/rotation";
import { lambdaLikeDirectory } from "./helpers";

let dir: string;
let bundle: string;

beforeAll(() => {
  bundle = rotationHandlerBundle();
  dir = lambdaLikeDirectory(bundle);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("rotation handler bundle", () => {
  it("loads in a fresh node process and exports handler, needing only built-ins and @aws-sdk", () => {
    const probe = `
      const Module = require("module");
      const external = new Set();
      const load = Module._load;
      Module._load = function (request, parent, isMain) {
        if (parent && parent.filename === ${JSON.stringify(path.join(dir, "index.js"))} && !Module.isBuiltin(request)) external.add(request);
        return load.apply(this, arguments);
      };
      const m = require("./index.js");
      console.log(JSON.stringify({ handler: typeof m.handler, external: [...external] }));`;
    const env = { PATH: process.env.PATH, AWS_REGION: "us-east-1" };
    const out = execFileSync(process.execPath, ["-e", probe], { cwd: dir, env, encoding: "utf8" });
    expect(JSON.parse(out.trim().split("\n").pop()!)).toEqual({
      handler: "function",
      external: ["@aws-sdk/client-secrets-manager"],
    });
  });

  it("contains pg but no AWS SDK or Pulumi code, and is minified", () => {
    expect(bundle).toContain('require("@aws-sdk/client-secrets-manager")');
    expect(bundle).not.toMatch(/@smithy|SecretsManagerServiceException extends|@pulumi/);
    expect(bundle).toContain("SCRAM-SHA-256");
    expect(bundle.split("\n").length).toBeLessThan(50);
    const zipped = deflateRawSync(bundle, { level: 9 }).length;
    console.info(
      `rotation handler bundle: ${(bundle.length / 1024).toFixed(1)} KiB, ${(zipped / 1024).toFixed(1)} KiB deflated`,
    );
    expect(bundle.length).toBeLessThan(400 * 1024);
  });

  it("is built once per process", () => {
    expect(rotationHandlerBundle()).toBe(bundle);
  });

  it("is offered as an archive with index.js", async () => {
    const archive = rotationHandlerArchive();
    expect(archive).toBeInstanceOf(pulumi.asset.AssetArchive);
    const assets = (await archive.assets) as Record<string, pulumi.asset.StringAsset>;
    expect(Object.keys(assets)).toEqual(["index.js"]);
    expect(await assets["index.js"].text).toBe(bundle);
  });
});
