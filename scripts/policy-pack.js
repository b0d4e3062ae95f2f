#!/usr/bin/env node
// Makes dist/policies (compiled by `tsc -p tsconfig.build.json`) a self-contained CrossGuard pack:
// its own package.json (main, the package's version, its runtime dependencies) and PulumiPolicy.yaml,
// so `pulumi preview --policy-pack node_modules/airflow-secrets/dist/policies` runs the compiled
// JavaScript and never asks Pulumi's bundled TypeScript to compile our sources. Prints nothing on
// stdout: pre-commit reads `npm pack`'s stdout as the tarball name.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const source = path.join(root, "policies");
const target = path.join(root, "dist", "policies");

if (!fs.existsSync(path.join(target, "index.js"))) {
  process.stderr.write(`policy-pack: ${target}/index.js is missing; run tsc -p tsconfig.build.json first\n`);
  process.exit(1);
}
const root_manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const pack_manifest = JSON.parse(fs.readFileSync(path.join(source, "package.json"), "utf8"));
const manifest = {
  name: pack_manifest.name,
  // The engine reports the pack under this version: the package's own.
  version: root_manifest.version,
  description: pack_manifest.description,
  license: pack_manifest.license,
  private: true,
  main: "index.js",
  // Resolved from the enclosing package's node_modules once installed.
  dependencies: pack_manifest.dependencies,
};
fs.writeFileSync(path.join(target, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
fs.copyFileSync(path.join(source, "PulumiPolicy.yaml"), path.join(target, "PulumiPolicy.yaml"));
