// Compiles the sources the benchmarks run (TypeScript → CommonJS, file for file, same layout) into
// bench/out/, so `npm run bench` measures compiled JavaScript as users run it, not ts-node.
import { buildSync } from "esbuild";
import { copyFileSync, rmSync, symlinkSync } from "fs";

// An output folder of its own (`node bench/build.mjs bench/out-2`) lets two runs proceed side by side.
const out = process.argv[2] ?? "bench/out";
rmSync(out, { recursive: true, force: true });
buildSync({
  entryPoints: [
    "components/**/*.ts",
    "cli/**/*.ts",
    "stacks/**/*.ts",
    "bench/*.ts",
    "test/support/*.ts",
    "test/rotation/helpers.ts",
  ],
  outdir: out,
  outbase: ".",
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: false,
  logLevel: "warning",
});
// What the compiled copies find relative to themselves: the PostgreSQL launcher and node_modules.
copyFileSync("test/support/pg-server.mjs", `${out}/test/support/pg-server.mjs`);
symlinkSync("../../node_modules", `${out}/node_modules`);
