#!/usr/bin/env node
// Runs the TypeScript sources through ts-node when it is installed (a checkout, or a Pulumi project,
// whose stack program synth loads is TypeScript anyway), so a stale dist/ never shadows the sources;
// otherwise the compiled CLI of the npm package.
const path = require("path");
const fs = require("fs");
const root = path.join(__dirname, "..");
const source = path.join(root, "cli", "main.ts");
const compiled = path.join(root, "dist", "cli", "main.js");

function tsNode() {
  try {
    return require("ts-node");
  } catch {
    return undefined;
  }
}

let entry = compiled;
const register = fs.existsSync(source) ? tsNode() : undefined;
if (register) {
  register.register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
  entry = source;
} else if (!fs.existsSync(compiled)) {
  process.stderr.write(
    "airflow-secrets: neither ts-node nor the compiled CLI (npm run build) is available\n",
  );
  process.exit(70);
}
const { main } = require(entry);
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
    process.exit(70);
  },
);
