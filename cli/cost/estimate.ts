/**
 * What the secrets backend bills for the lookups Airflow makes while parsing DAG files. A pure
 * function over a price table, the parse interval, the cache settings and the top-level lookups
 * lint-dags finds, so the numbers can be checked by hand (see the worked examples in the tests).
 *
 * The model, from Airflow's source:
 * - every DAG file is parsed again every `min_file_process_interval` seconds (default 30, both in
 *   `[scheduler]` of Airflow 2 and `[dag_processor]` of Airflow 3), by each DAG processor;
 * - each top-level `Variable.get` / connection lookup asks the configured backend first;
 * - `[secrets] use_cache` (Airflow ≥ 2.7, `cache_ttl_seconds` default 900) keeps an answer per id
 *   for the TTL in each DAG processor. Connections are cached only when found
 *   (`Connection.get_connection_from_secrets`); Airflow 2's `Variable.get_variable_from_secrets`
 *   caches misses too ("we save None as well"), Airflow 3's Task SDK does not;
 * - a kind the environment declares nothing of has a `null` prefix: Airflow never asks the backend;
 * - lookup patterns (AWS Secrets Manager and SSM only) keep every id the pattern does not match
 *   away from the backend, so an undeclared id costs nothing there and one call per parse elsewhere.
 */
import type { BackendKind } from "../../components/airflow";

/**
 * List prices in USD per 10,000 calls, as published by each provider (override with a JSON file of
 * the same shape: `{"aws-secrets-manager": 0.05, …}`). Checked 2026-12: AWS Secrets Manager
 * $0.05 per 10,000 API calls; SSM Parameter Store standard throughput is free (higher throughput
 * $0.05 per 10,000); GCP Secret Manager $0.03 per 10,000 access operations; Azure Key Vault
 * standard $0.03 per 10,000 transactions; Vault is self-hosted and env vars are read from the pod.
 */
export const DEFAULT_PRICES_PER_10K: Readonly<Record<BackendKind, number>> = {
  env: 0,
  vault: 0,
  "aws-secrets-manager": 0.05,
  "aws-ssm": 0,
  "gcp-secret-manager": 0.03,
  "azure-key-vault": 0.03,
};

export const DEFAULT_PARSE_INTERVAL_SECONDS = 30;
export const DEFAULT_CACHE_TTL_SECONDS = 900;
export const DAYS_PER_MONTH = 30;
const SECONDS_PER_DAY = 86400;

export interface TopLevelLookup {
  kind: "connection" | "variable";
  /** Undefined when the id is not a literal (f-string, variable): counted as its own id. */
  id?: string;
  file: string;
  line: number;
}

export interface CostInput {
  environment: string;
  backend: BackendKind;
  /** USD per 10,000 calls. */
  pricePer10k: number;
  parseIntervalSeconds: number;
  /** DAG processors (each parses every file and keeps its own cache). */
  dagProcessors: number;
  /** Effective cache: enabled only where the Airflow version has it. */
  cache: { enabled: boolean; ttlSeconds: number };
  airflowMajor: number;
  /** Whether the backend takes lookup patterns (the library generates them wherever it does). */
  lookupPatterns: boolean;
  declared: { connection: ReadonlySet<string>; variable: ReadonlySet<string> };
  lookups: readonly TopLevelLookup[];
}

export interface Scenario {
  callsPerDay: number;
  costPerMonth: number;
}

export interface LookupCost extends TopLevelLookup {
  declared: boolean | undefined;
  /** Calls per day this lookup causes as configured (shared cached calls are split evenly). */
  callsPerDay: number;
  costPerMonth: number;
}

export interface CostEstimate {
  environment: string;
  backend: BackendKind;
  pricePer10k: number;
  parseIntervalSeconds: number;
  dagProcessors: number;
  /** As configured: this cache setting, patterns where the backend takes them. */
  configured: Scenario;
  withoutCache: Scenario;
  withCache: Scenario;
  /** Configured, but as if the backend took no lookup patterns. */
  withoutPatterns: Scenario;
  /** What `use_cache` saves against no cache (0 when the cache cannot help). */
  cacheSaves: Scenario;
  /** What lookup patterns save against none (0 on backends without them). */
  patternsSave: Scenario;
  lookups: LookupCost[];
  /** Lookups of ids the stack does not declare, with what each costs as configured. */
  undeclared: LookupCost[];
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

function scenario(callsPerDay: number, pricePer10k: number): Scenario {
  return {
    callsPerDay: round(callsPerDay, 2),
    costPerMonth: round(((callsPerDay * DAYS_PER_MONTH) / 10000) * pricePer10k, 4),
  };
}

/** Calls per day of each lookup under one cache / pattern choice. */
function callsPerLookup(input: CostInput, cache: boolean, patterns: boolean): number[] {
  const parsesPerDay = (SECONDS_PER_DAY / input.parseIntervalSeconds) * input.dagProcessors;
  const cachedPerDay =
    (SECONDS_PER_DAY / Math.max(input.cache.ttlSeconds, input.parseIntervalSeconds)) * input.dagProcessors;
  // One cached fetch serves every lookup of the same id: split it between them.
  const sharing = new Map<string, number>();
  const keyOf = (lookup: TopLevelLookup, i: number) =>
    lookup.id === undefined ? `#${i}` : `${lookup.kind}:${lookup.id}`;
  input.lookups.forEach((lookup, i) =>
    sharing.set(keyOf(lookup, i), (sharing.get(keyOf(lookup, i)) ?? 0) + 1),
  );
  return input.lookups.map((lookup, i) => {
    if (input.backend === "env") return 0;
    const declaredIds = input.declared[lookup.kind];
    if (declaredIds.size === 0) return 0; // null prefix: never asked
    const declared = lookup.id === undefined ? undefined : declaredIds.has(lookup.id);
    if (patterns && declared === false) return 0;
    const missCached = lookup.kind === "variable" && input.airflowMajor < 3;
    const cached = cache && (declared !== false || missCached);
    return cached ? cachedPerDay / sharing.get(keyOf(lookup, i))! : parsesPerDay;
  });
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

export function estimateLookupCost(input: CostInput): CostEstimate {
  const price = input.pricePer10k;
  const configured = callsPerLookup(input, input.cache.enabled, input.lookupPatterns);
  const total = (cache: boolean, patterns: boolean) => sum(callsPerLookup(input, cache, patterns));
  const withoutCache = total(false, input.lookupPatterns);
  const withCache = total(true, input.lookupPatterns);
  const withoutPatterns = total(input.cache.enabled, false);
  const lookups: LookupCost[] = input.lookups.map((lookup, i) => ({
    ...lookup,
    declared: lookup.id === undefined ? undefined : input.declared[lookup.kind].has(lookup.id),
    ...scenario(configured[i], price),
  }));
  return {
    environment: input.environment,
    backend: input.backend,
    pricePer10k: price,
    parseIntervalSeconds: input.parseIntervalSeconds,
    dagProcessors: input.dagProcessors,
    configured: scenario(sum(configured), price),
    withoutCache: scenario(withoutCache, price),
    withCache: scenario(withCache, price),
    withoutPatterns: scenario(withoutPatterns, price),
    cacheSaves: scenario(Math.max(0, withoutCache - withCache), price),
    patternsSave: scenario(Math.max(0, withoutPatterns - sum(configured)), price),
    lookups,
    undeclared: lookups.filter((l) => l.declared === false),
  };
}

/** Reads an override file: a JSON object of backend kind → USD per 10,000 calls, merged over the defaults. */
export function mergePrices(overrides: unknown): Record<BackendKind, number> {
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides))
    throw new Error("the price table must be a JSON object of backend → USD per 10,000 calls");
  const prices: Record<string, number> = { ...DEFAULT_PRICES_PER_10K };
  for (const [kind, price] of Object.entries(overrides)) {
    if (!(kind in DEFAULT_PRICES_PER_10K))
      throw new Error(
        `price table: "${kind}" is not a backend (known: ${Object.keys(DEFAULT_PRICES_PER_10K).join(", ")})`,
      );
    if (typeof price !== "number" || !Number.isFinite(price) || price < 0)
      throw new Error(`price table: ${kind} must be a non-negative number of USD per 10,000 calls`);
    prices[kind] = price;
  }
  return prices as Record<BackendKind, number>;
}

/** A short human summary, used by synth and inventory. */
export function costText(estimate: CostEstimate): string[] {
  const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;
  const line = (label: string, s: Scenario) =>
    `  ${label}: ${s.callsPerDay.toLocaleString("en-US")} calls/day, ${usd(s.costPerMonth)}/month`;
  const out = [
    `Lookup cost at DAG parse (${estimate.environment}, ${estimate.backend}, $${estimate.pricePer10k} per 10,000 calls, ` +
      `every ${estimate.parseIntervalSeconds}s × ${estimate.dagProcessors} DAG processor(s), ${estimate.lookups.length} top-level lookup(s)):`,
    line("as configured", estimate.configured),
    line("use_cache saves", estimate.cacheSaves),
    line("lookup patterns save", estimate.patternsSave),
  ];
  const kept = estimate.undeclared.filter((l) => l.callsPerDay === 0);
  if (kept.length > 0)
    out.push(
      `  ${kept.length} lookup(s) of undeclared ids never reach the backend (lookup patterns, or nothing of that kind declared)`,
    );
  for (const lookup of estimate.undeclared.filter((l) => l.callsPerDay > 0)) {
    out.push(
      `  undeclared ${lookup.kind} ${lookup.id} (${lookup.file}:${lookup.line}): ${lookup.callsPerDay.toLocaleString("en-US")} calls/day, ` +
        `${usd(lookup.costPerMonth)}/month (asked at every parse: this backend takes no lookup patterns)`,
    );
  }
  return out;
}
