#!/usr/bin/env node
// The `airflow-secrets` command. Installed from npm (or by pre-commit) it runs the compiled CLI in
// dist/. Only in this repository's own checkout does it run the TypeScript sources, through this
// package's ts-node and this package's tsconfig.json, so a stale dist/ never shadows them. It never
// asks the ts-node of the user's project to compile anything of ours.
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

let entry = compiled;
const tsNode = developmentCheckout();
if (tsNode) {
  require(tsNode).register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
  entry = path.join(root, "cli", "main.ts");
} else if (!fs.existsSync(compiled)) {
  process.stderr.write(`airflow-secrets: the compiled CLI is missing (${compiled}); run \`npm run build\`\n`);
  process.exitCode = 70;
  return;
}
require(entry).runAsProcess(process.argv.slice(2));
