#!/usr/bin/env node
// The `airflow-secrets` command. Installed from npm (or by pre-commit) it runs the compiled CLI in
// dist/. In this repository's own checkout it runs dist/ too while dist/ is newer than every source
// it is built from (`npm install` and `npm run build` build it), and the TypeScript sources, through
// this package's ts-node and tsconfig.json, once a source is edited, so a stale dist/ never shadows
// them. It never asks the ts-node of the user's project to compile anything of ours.
"use strict";
const path = require("path");
const fs = require("fs");

const root = path.join(__dirname, "..");
const compiled = path.join(root, "dist", "cli", "main.js");

/** This repository's checkout: the sources and their tsconfig, not an installed copy. */
function developmentCheckout() {
  if (root.split(path.sep).includes("node_modules")) return false;
  if (!fs.existsSync(path.join(root, "cli", "main.ts"))) return false;
  if (!fs.existsSync(path.join(root, "tsconfig.json"))) return false;
  try {
    return require.resolve("ts-node", { paths: [root] });
  } catch {
    return false;
  }
}

/** The directories tsconfig.build.json compiles into dist/. */
const COMPILED_SOURCES = ["components", "cli", "stacks", "policies"];

/** Whether some compiled source (.ts, .json) changed after dist/ was built. */
function distIsStale() {
  let built;
  try {
    built = fs.statSync(compiled).mtimeMs;
  } catch {
    return true;
  }
  const newer = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) return newer(file);
      return /\.(ts|json)$/.test(entry.name) && fs.statSync(file).mtimeMs > built;
    });
  return COMPILED_SOURCES.some((dir) => fs.existsSync(path.join(root, dir)) && newer(path.join(root, dir)));
}

let entry = compiled;
const checkout = developmentCheckout();
const tsNode = checkout && distIsStale() ? checkout : false;
if (tsNode) {
  require(tsNode).register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
  entry = path.join(root, "cli", "main.ts");
} else if (!fs.existsSync(compiled)) {
  process.stderr.write(`airflow-secrets: the compiled CLI is missing (${compiled}); run \`npm run build\`\n`);
  process.exitCode = 70;
  return;
}
require(entry).runAsProcess(process.argv.slice(2));
