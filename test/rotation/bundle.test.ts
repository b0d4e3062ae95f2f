/** The Lambda bundle: built by esbuild, loadable with nothing but Node's built-ins and the runtime's AWS SDK. */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { deflateRawSync } from "zlib";
import * as pulumi from "@pulumi/pulumi";
import { buildSync as esbuildBuildSync } from "esbuild";
import { rotationHandlerArchive, rotationHandlerBundle } from "../../components/aws/rotator";
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

describe("bundles prebuilt at pack time", () => {
  it("a compiled entry uses the bundle written next to it; a source entry is always built", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "prebuilt-"));
    try {
      fs.writeFileSync(path.join(work, "package.json"), "{}");
      fs.writeFileSync(path.join(work, "entry.js"), "exports.answer = () => 42;\n");
      fs.writeFileSync(path.join(work, "entry.ts"), "export const answer = () => 42;\n");
      const options = (entry: string) => ({
        entry: path.join(work, entry),
        nodeVersion: 20,
        external: [],
        minify: false,
      });
      /* eslint-disable @typescript-eslint/no-require-imports */
      const fresh = () => {
        let mod!: typeof import("../../components/rotation/bundle");
        jest.isolateModules(() => (mod = require("../../components/rotation/bundle")));
        return mod;
      };
      const first = fresh();
      process.env[first.PREBUILD_ENV] = "1";
      let built: string;
      try {
        built = first.bundleFunction(options("entry.js"));
      } finally {
        delete process.env[first.PREBUILD_ENV];
      }
      const prebuilt = first.prebuiltBundlePath(options("entry.js"));
      expect(fs.readFileSync(prebuilt, "utf8")).toBe(built);
      expect(built).toContain("42");
      // A marker in the prebuilt file proves a fresh process reads it instead of running esbuild.
      fs.writeFileSync(prebuilt, `${built}// prebuilt\n`);
      expect(fresh().bundleFunction(options("entry.js"))).toBe(`${built}// prebuilt\n`);
      // Other options (e.g. minify) name another file: never a bundle built differently.
      expect(first.prebuiltBundlePath({ ...options("entry.js"), minify: true })).not.toBe(prebuilt);
      // Development: the .ts entry is built even when a file of its name exists.
      fs.writeFileSync(first.prebuiltBundlePath(options("entry.ts")), "stale");
      expect(fresh().bundleFunction(options("entry.ts"))).not.toBe("stale");
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("what each rotator bundles", () => {
  /** The source files esbuild pulls into a rotator's bundle, relative to the repository. */
  function bundledInputs(entry: string, external: string[]): string[] {
    const result = esbuildBuildSync({
      entryPoints: [path.resolve(__dirname, "../..", entry)],
      absWorkingDir: path.resolve(__dirname, "../.."),
      bundle: true,
      platform: "node",
      format: "cjs",
      external,
      metafile: true,
      write: false,
      logLevel: "silent",
    });
    return Object.keys(result.metafile!.inputs);
  }

  const rotators: Array<[string, string, string[]]> = [
    ["aws", "components/aws/rotator/handler.ts", ["@aws-sdk/*", "pg-native"]],
    ["gcp", "components/gcp/rotator/entry.ts", ["pg-native", "@google-cloud/functions-framework"]],
    ["azure", "components/azure/rotator/function.ts", ["pg-native"]],
  ];

  it.each(rotators)(
    "%s: the rotation core, its own rotator folder and pg only — no schema library, no Pulumi, no declaration checks",
    (cloud, entry, external) => {
      const inputs = bundledInputs(entry, external);
      const own = inputs.filter((file) => !file.startsWith("node_modules/"));
      expect(own).toContain("components/rotation/config.ts");
      expect(own).toContain(entry);
      const outside = own.filter(
        (file) =>
          !file.startsWith("components/rotation/") && !file.startsWith(`components/${cloud}/rotator/`),
      );
      expect(outside).toEqual([]);
      const packages = new Set(
        inputs.filter((f) => f.startsWith("node_modules/")).map((f) => f.split("/")[1]),
      );
      for (const banned of ["zod", "@pulumi", "esbuild", "ajv"]) expect(packages.has(banned)).toBe(false);
      expect(packages.has("pg")).toBe(true);
    },
  );
});
