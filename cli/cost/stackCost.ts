/**
 * The lookup-cost estimate of one stack: its backend and declarations (from the stack file), the
 * cache the rendered Airflow configuration turns on, and the top-level lookups lint-dags finds in
 * the DAG folders given. Shared by `synth --dags` and `inventory`.
 */
import { promises as fs } from "fs";
import { AirflowConfig, rotationMasterIds } from "../../components/airflow";
import { UsageError } from "../args";
import { findDagFiles } from "../lintDags/dagFiles";
import { importTimeLookups } from "../lintDags/lintSource";
import type { StackTarget } from "../import/stackTarget";
import {
  CostEstimate,
  DEFAULT_CACHE_TTL_SECONDS,
  DEFAULT_PARSE_INTERVAL_SECONDS,
  DEFAULT_PRICES_PER_10K,
  TopLevelLookup,
  estimateLookupCost,
  mergePrices,
} from "./estimate";

export interface CostOptions {
  /** DAG files or folders (comma-separated on the command line). */
  dags: string[];
  /** JSON file overriding the price table. */
  prices?: string;
  parseIntervalSeconds?: number;
  dagProcessors?: number;
}

/** The cost options of a command line (`--dags`, `--prices`, `--parse-interval`, `--dag-processors`). */
export function costOptions(values: Record<string, string>): CostOptions {
  const positive = (flag: string) => {
    const raw = values[flag];
    if (raw === undefined) return undefined;
    const number = Number(raw);
    if (!Number.isInteger(number) || number < 1) throw new UsageError(`--${flag} must be a whole number ≥ 1`);
    return number;
  };
  return {
    dags: (values.dags ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    prices: values.prices,
    parseIntervalSeconds: positive("parse-interval"),
    dagProcessors: positive("dag-processors"),
  };
}

export async function findTopLevelLookups(
  paths: readonly string[],
): Promise<{ lookups: TopLevelLookup[]; errors: string[] }> {
  const { files, errors } = await findDagFiles(paths);
  const lookups: TopLevelLookup[] = [];
  for (const file of files) lookups.push(...(await importTimeLookups(await fs.readFile(file), file)));
  return { lookups, errors };
}

/** `[secrets] use_cache` / `cache_ttl_seconds` as rendered for the environment (absent: off). */
function cacheOf(config: AirflowConfig | undefined): { enabled: boolean; ttlSeconds: number } {
  const option = (name: string) =>
    config?.options.find((o) => o.section === "secrets" && o.option === name)?.value;
  const ttl = Number(option("cache_ttl_seconds"));
  return {
    enabled: /^true$/i.test(option("use_cache") ?? ""),
    ttlSeconds: Number.isFinite(ttl) && ttl > 0 ? ttl : DEFAULT_CACHE_TTL_SECONDS,
  };
}

export async function estimateStackCost(
  target: StackTarget,
  airflowConfig: AirflowConfig | undefined,
  options: CostOptions,
): Promise<{ estimate: CostEstimate; errors: string[] }> {
  const prices = options.prices
    ? mergePrices(JSON.parse(await fs.readFile(options.prices, "utf8")))
    : { ...DEFAULT_PRICES_PER_10K };
  const { lookups, errors } = await findTopLevelLookups(options.dags);
  const major = Number(String(target.airflow.version ?? "2").split(".")[0]);
  const estimate = estimateLookupCost({
    environment: target.environment,
    backend: target.kind,
    pricePer10k: prices[target.kind],
    parseIntervalSeconds: options.parseIntervalSeconds ?? DEFAULT_PARSE_INTERVAL_SECONDS,
    dagProcessors: options.dagProcessors ?? 1,
    cache: cacheOf(airflowConfig),
    airflowMajor: Number.isFinite(major) ? major : 2,
    lookupPatterns: target.profile.supportsLookupPatterns,
    declared: {
      // Rotation masters are stored for the rotation function only and left out of the lookup pattern.
      connection: new Set(
        target.connections
          .map((c) => String(c.conn_id))
          .filter((id) => !rotationMasterIds(target.connections as never).has(id)),
      ),
      variable: new Set(target.variables.map((v) => String(v.key))),
    },
    lookups,
  });
  return { estimate, errors };
}
