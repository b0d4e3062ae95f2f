/** Runs test/support/airflow_semantics.py (Python's real urllib, json and re) over a batch of requests. */
import { spawnSync } from "child_process";
import * as path from "path";

export type SemanticsRequest =
  | { op: "uri"; value: string }
  | { op: "json"; value: string }
  | { op: "match"; pattern: string; ids: string[] };

export interface SemanticsAnswer {
  ok?: unknown;
  error?: string;
}

export function askPython(requests: SemanticsRequest[]): SemanticsAnswer[] {
  const run = spawnSync("python3", [path.join(__dirname, "airflow_semantics.py")], {
    input: requests.map((r) => JSON.stringify(r)).join("\n") + "\n",
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return run.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as SemanticsAnswer);
}
