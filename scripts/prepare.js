#!/usr/bin/env node
// npm `prepare`: builds dist/ when installing from a git checkout (pre-commit clones this repository
// and runs `npm install`, then `npm pack`, which runs `prepare` again). The second time nothing has
// changed since the build, so it is skipped. Quiet on stdout either way.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const stamp = path.join(root, "dist", ".build-stamp");
const inputs = [
  "components",
  "cli",
  "stacks",
  "policies",
  "scripts",
  "package.json",
  "tsconfig.json",
  "tsconfig.build.json",
];

function newest(file) {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...fs.readdirSync(file).map((entry) => newest(path.join(file, entry))));
}

const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
if (built > 0 && inputs.every((input) => newest(path.join(root, input)) < built)) process.exit(0);
const npm = process.env.npm_execpath;
const run = npm
  ? spawnSync(process.execPath, [npm, "run", "--silent", "build"], { cwd: root, stdio: ["ignore", 2, 2] })
  : spawnSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: ["ignore", 2, 2], shell: true });
if (run.status !== 0) process.exit(run.status ?? 1);
fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
