/**
 * What a user waits for: `airflow-secrets synth --stack prod` as a fresh process, wall time (the
 * process is the whole cost: module loading, the program, printing), median of 7. The bin runs the
 * compiled CLI as installed; in this checkout it would fall back to ts-node for sources edited after
 * the last build, so `npm run build` runs first.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { performance } from "perf_hooks";
import { findProject } from "../cli/synth/stackFile";

const RUNS = 7;

export async function benchCli(): Promise<string[]> {
  const root = findProject().root;
  const bin = path.join(root, "bin", "airflow-secrets.js");
  execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    execFileSync(process.execPath, [bin, "synth", "--stack", "prod"], { cwd: root, stdio: "ignore" });
    times.push(performance.now() - start);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return [
    `cli synth --stack prod: ${sorted[Math.floor(RUNS / 2)].toFixed(0)} ms`,
    `  (compiled, as installed; wall time of a fresh process, median of ${RUNS}, [${sorted[0].toFixed(0)}-${sorted[RUNS - 1].toFixed(0)}] ms)`,
  ];
}
