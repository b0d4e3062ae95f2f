#!/usr/bin/env node
// Runs the compiled CLI when present (npm package), otherwise the TypeScript sources via ts-node.
const path = require("path");
const fs = require("fs");
const compiled = path.join(__dirname, "..", "dist", "cli", "main.js");
if (!fs.existsSync(compiled)) {
  require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
}
const { main } = require(fs.existsSync(compiled) ? compiled : path.join(__dirname, "..", "cli", "main.ts"));
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
    process.exit(70);
  },
);
