import {
  CostInput,
  DEFAULT_PRICES_PER_10K,
  costText,
  estimateLookupCost,
  mergePrices,
} from "../../cli/cost/estimate";

/** AWS Secrets Manager at list price, the default 30 s parse interval, one DAG processor. */
function input(overrides: Partial<CostInput> = {}): CostInput {
  return {
    environment: "prod",
    backend: "aws-secrets-manager",
    pricePer10k: 0.05,
    parseIntervalSeconds: 30,
    dagProcessors: 1,
    cache: { enabled: false, ttlSeconds: 900 },
    airflowMajor: 2,
    lookupPatterns: true,
    declared: { connection: new Set(["warehouse"]), variable: new Set(["alert_email"]) },
    lookups: [
      { kind: "variable", id: "alert_email", file: "a.py", line: 3 },
      { kind: "variable", id: "alert_email", file: "b.py", line: 7 },
    ],
    ...overrides,
  };
}

describe("lookup cost estimate: worked examples", () => {
  it("without the cache every top-level lookup is one call per parse: 2 × 86400/30 = 5760 calls/day, 172,800/month × $0.05/10k = $0.864", () => {
    const estimate = estimateLookupCost(input());
    expect(estimate.configured).toEqual({ callsPerDay: 5760, costPerMonth: 0.864 });
    expect(estimate.lookups.map((l) => l.callsPerDay)).toEqual([2880, 2880]);
    expect(estimate.cacheSaves.callsPerDay).toBe(5664);
  });

  it("use_cache fetches each id once per TTL: 86400/900 = 96 calls/day, 2880/month = $0.0144; it saves 5664 calls/day ($0.8496)", () => {
    const estimate = estimateLookupCost(input({ cache: { enabled: true, ttlSeconds: 900 } }));
    expect(estimate.configured).toEqual({ callsPerDay: 96, costPerMonth: 0.0144 });
    // One cached fetch serves both files' lookups of the same id.
    expect(estimate.lookups.map((l) => l.callsPerDay)).toEqual([48, 48]);
    expect(estimate.cacheSaves).toEqual({ callsPerDay: 5664, costPerMonth: 0.8496 });
    expect(estimate.withoutCache.callsPerDay).toBe(5760);
  });

  it("a TTL shorter than the parse interval cannot save more than one call per parse", () => {
    const estimate = estimateLookupCost(
      input({ cache: { enabled: true, ttlSeconds: 10 }, lookups: [input().lookups[0]] }),
    );
    expect(estimate.configured.callsPerDay).toBe(2880);
    expect(estimate.cacheSaves.callsPerDay).toBe(0);
  });

  it("an undeclared connection costs one call per parse without lookup patterns (GCP: 2880/day, $0.2592/month), even cached, and nothing with them (AWS)", () => {
    const lookups = [{ kind: "connection" as const, id: "legacy_ftp", file: "c.py", line: 1 }];
    const gcp = estimateLookupCost(
      input({
        backend: "gcp-secret-manager",
        pricePer10k: 0.03,
        lookupPatterns: false,
        cache: { enabled: true, ttlSeconds: 900 },
        lookups,
      }),
    );
    // Connections are cached only when found: a miss is asked again at every parse.
    expect(gcp.configured).toEqual({ callsPerDay: 2880, costPerMonth: 0.2592 });
    expect(gcp.undeclared).toHaveLength(1);
    expect(gcp.undeclared[0]).toMatchObject({ id: "legacy_ftp", declared: false, costPerMonth: 0.2592 });
    expect(gcp.patternsSave.callsPerDay).toBe(0);

    const aws = estimateLookupCost(input({ cache: { enabled: true, ttlSeconds: 900 }, lookups }));
    expect(aws.configured.callsPerDay).toBe(0);
    expect(aws.patternsSave).toEqual({ callsPerDay: 2880, costPerMonth: 0.432 });
    expect(aws.withoutPatterns.callsPerDay).toBe(2880);
  });

  it("an undeclared variable miss is cached by Airflow 2 (96/day) but not by Airflow 3's Task SDK (2880/day)", () => {
    const lookups = [{ kind: "variable" as const, id: "not_there", file: "d.py", line: 2 }];
    const base = { backend: "azure-key-vault" as const, pricePer10k: 0.03, lookupPatterns: false, lookups };
    const cache = { enabled: true, ttlSeconds: 900 };
    expect(estimateLookupCost(input({ ...base, cache, airflowMajor: 2 })).configured.callsPerDay).toBe(96);
    expect(estimateLookupCost(input({ ...base, cache, airflowMajor: 3 })).configured.callsPerDay).toBe(2880);
  });

  it("a kind the stack declares nothing of has a null prefix: Airflow never asks the backend", () => {
    const estimate = estimateLookupCost(
      input({ lookupPatterns: false, declared: { connection: new Set(["warehouse"]), variable: new Set() } }),
    );
    expect(estimate.configured.callsPerDay).toBe(0);
    expect(estimate.lookups.every((l) => l.callsPerDay === 0)).toBe(true);
  });

  it("the env-var backend costs nothing; Vault is self-hosted at $0 unless priced", () => {
    expect(estimateLookupCost(input({ backend: "env", pricePer10k: 0 })).configured.callsPerDay).toBe(0);
    const vault = estimateLookupCost(input({ backend: "vault", pricePer10k: 0, lookupPatterns: false }));
    expect(vault.configured).toEqual({ callsPerDay: 5760, costPerMonth: 0 });
    const priced = estimateLookupCost(input({ backend: "vault", pricePer10k: 0.1, lookupPatterns: false }));
    expect(priced.configured.costPerMonth).toBeCloseTo(1.728, 6);
  });

  it("scales with DAG processors and the parse interval: 2 processors every 60 s = 2880 calls/day per lookup", () => {
    const estimate = estimateLookupCost(
      input({ dagProcessors: 2, parseIntervalSeconds: 60, lookups: [input().lookups[0]] }),
    );
    expect(estimate.configured.callsPerDay).toBe(2880);
  });

  it("a lookup whose id is not a literal may match the pattern, so it is billed and each one cached on its own", () => {
    const lookups = [
      { kind: "variable" as const, file: "e.py", line: 1 },
      { kind: "variable" as const, file: "e.py", line: 2 },
    ];
    const estimate = estimateLookupCost(input({ cache: { enabled: true, ttlSeconds: 900 }, lookups }));
    expect(estimate.lookups.map((l) => l.declared)).toEqual([undefined, undefined]);
    expect(estimate.configured.callsPerDay).toBe(192);
    expect(estimate.undeclared).toEqual([]);
  });

  it("prints the scenarios and each undeclared lookup", () => {
    const text = costText(
      estimateLookupCost(
        input({
          backend: "gcp-secret-manager",
          pricePer10k: 0.03,
          lookupPatterns: false,
          lookups: [{ kind: "connection", id: "legacy_ftp", file: "c.py", line: 1 }],
        }),
      ),
    ).join("\n");
    expect(text).toContain("as configured: 2,880 calls/day, $0.2592/month");
    expect(text).toContain("undeclared connection legacy_ftp (c.py:1): 2,880 calls/day, $0.2592/month");
  });
});

describe("price table", () => {
  it("has a price for every backend and merges overrides", () => {
    expect(Object.keys(DEFAULT_PRICES_PER_10K).sort()).toEqual([
      "aws-secrets-manager",
      "aws-ssm",
      "azure-key-vault",
      "env",
      "gcp-secret-manager",
      "vault",
    ]);
    expect(mergePrices({ vault: 0.2 })).toEqual({ ...DEFAULT_PRICES_PER_10K, vault: 0.2 });
  });

  it.each([
    [[], "must be a JSON object"],
    [{ oracle: 1 }, '"oracle" is not a backend'],
    [{ vault: -1 }, "vault must be a non-negative number"],
    [{ vault: "0.1" }, "vault must be a non-negative number"],
  ])("refuses %j", (table, message) => {
    expect(() => mergePrices(table)).toThrow(message);
  });
});
