/** Runs test/support/airflow_semantics.py (Python's real urllib, json, re, os.path) over a batch of requests. */
import { spawnSync } from "child_process";
import * as path from "path";

export type SemanticsRequest =
  | { op: "uri"; value: string }
  | { op: "json"; value: string }
  | { op: "match"; pattern: string; ids: string[] }
  | { op: "sensitive"; dir: string; line: string }
  /** `airflow connections import` of a JSON file: conn_id → ReadConnection, or an error when skipped. */
  | { op: "import"; line: string; value: string }
  | LookupRequest;

/** One Airflow process (server or 3.x worker) reading declared ids from an in-memory store. */
export interface LookupRequest {
  op: "lookup";
  backend: string;
  line: string;
  role: "server" | "worker";
  /** The AIRFLOW__* variables the library rendered. */
  env: Record<string, string>;
  /** Stored values by the names the library wrote. */
  store: Record<string, string>;
  connections: string[];
  variables: string[];
  config: Array<[string, string]>;
  /** Airflow's config files, for the sensitive-option rule. */
  sensitiveDir?: string;
  /** The sensitive options of this line, when Airflow's config files are not beside the checkout. */
  sensitiveOptions?: readonly string[];
}

/** A connection as Airflow holds it after reading (null where a field is unset). */
export interface ReadConnection {
  conn_id: string | null;
  conn_type: string | null;
  description: string | null;
  host: string | null;
  login: string | null;
  password: string | null;
  schema: string | null;
  port: number | null;
  extra: string | null;
}

export type Read<T> = T | null | { error: string };

export interface LookupAnswer {
  connections: Record<string, Read<ReadConnection>>;
  variables: Record<string, Read<string>>;
  config: Record<string, Read<string>>;
  /** Store calls the backend made (lookups that got past the lookup pattern). */
  calls: number;
}

export interface SemanticsAnswer {
  ok?: unknown;
  error?: string;
}

export function askPython(requests: SemanticsRequest[]): SemanticsAnswer[] {
  const run = spawnSync("python3", [path.join(__dirname, "airflow_semantics.py")], {
    input: requests.map((r) => JSON.stringify(r)).join("\n") + "\n",
    encoding: "utf8",
    env: { ...process.env, PYTHONIOENCODING: "utf-8" },
    maxBuffer: 1 << 30,
  });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  const answers = run.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as SemanticsAnswer);
  if (answers.length !== requests.length)
    throw new Error(`python3 answered ${answers.length} of ${requests.length} requests`);
  return answers;
}
