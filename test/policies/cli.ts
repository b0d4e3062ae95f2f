/** Runs the `airflow-secrets` command as CI does (a child process), without blocking the event loop. */
import { spawn } from "child_process";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "../..");
const CLI = path.join(ROOT, "bin", "airflow-secrets.js");

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Names of the policies a `check --json` run found mandatory violations of. */
export function failingPolicies(run: Run): string[] {
  const report = JSON.parse(run.stdout) as {
    policies: Array<{ name: string; violations: Array<{ enforcementLevel: string }> }>;
  };
  return report.policies
    .filter((p) => p.violations.some((v) => v.enforcementLevel === "mandatory"))
    .map((p) => p.name)
    .sort();
}
