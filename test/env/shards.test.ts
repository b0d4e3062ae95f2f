/**
 * The env backend's split over several Kubernetes Secrets (components/env/shards.ts), by generation:
 * every Secret within the budget, every variable in exactly one, the fewest buckets the hash allows,
 * and a stable assignment, so adding a variable moves nobody else's (or, when one more bit is needed,
 * moves a variable only from bucket b to b + 2^bits).
 */
import fc from "fast-check";
import {
  assignShards,
  EnvSecretShard,
  MAX_SHARD_BITS,
  SECRET_MAX_BYTES,
  shardHash,
  ShardEntry,
} from "../../components/env/shards";

/** Variable names as the env profile writes them, unique. */
const names = fc.uniqueArray(fc.stringMatching(/^AIRFLOW_(CONN|VAR)_[A-Z0-9_]{1,12}$/), {
  minLength: 1,
  maxLength: 40,
});

/** Entries of up to `max` bytes each, with a small budget so generated cases need several Secrets. */
const BUDGET = 1000;
const entriesOf = (max: number) =>
  names.chain((ns) =>
    fc.tuple(...ns.map((name) => fc.integer({ min: 1, max }).map((bytes): ShardEntry => ({ name, bytes })))),
  );

const indexByName = (shards: readonly EnvSecretShard[]) =>
  new Map(shards.flatMap((s) => s.variableNames.map((n): [string, number] => [n, s.index])));

function assigned(entries: readonly ShardEntry[], budget = BUDGET) {
  const result = assignShards("airflow-dev-secrets", entries, budget);
  if (!result.ok) throw new Error("the generator keeps every case within 2^MAX_SHARD_BITS Secrets");
  return result;
}

test("every Secret fits, every variable is in exactly one, the first keeps the name", () => {
  fc.assert(
    fc.property(entriesOf(100), (entries) => {
      const { shards } = assigned(entries);
      expect(shards[0]).toMatchObject({ index: 0, secretName: "airflow-dev-secrets" });
      for (const shard of shards) {
        expect(shard.bytes).toBeLessThanOrEqual(BUDGET);
        const bytes = shard.variableNames.reduce(
          (sum, n) => sum + entries.find((e) => e.name === n)!.bytes,
          0,
        );
        expect(shard.bytes).toBe(bytes);
        expect(shard.secretName).toBe(
          shard.index === 0 ? "airflow-dev-secrets" : `airflow-dev-secrets-${shard.index}`,
        );
        // Only the first may be empty: no pod lists a Secret that holds nothing.
        if (shard.index > 0) expect(shard.variableNames.length).toBeGreaterThan(0);
      }
      const all = shards.flatMap((s) => s.variableNames);
      expect([...all].sort()).toEqual(entries.map((e) => e.name).sort());
    }),
    { numRuns: 300 },
  );
});

test("the bucket is the hash's low bits, with the fewest bits that fit", () => {
  fc.assert(
    fc.property(entriesOf(100), (entries) => {
      const { bits, shards } = assigned(entries);
      const mask = (1 << bits) - 1;
      for (const shard of shards)
        for (const name of shard.variableNames) expect(shardHash(name) & mask).toBe(shard.index);
      if (bits > 0) {
        // One bit fewer would have overfilled a bucket.
        const fewer = (1 << (bits - 1)) - 1;
        const sizes = new Map<number, number>();
        for (const e of entries)
          sizes.set(shardHash(e.name) & fewer, (sizes.get(shardHash(e.name) & fewer) ?? 0) + e.bytes);
        expect(Math.max(...sizes.values())).toBeGreaterThan(BUDGET);
      }
    }),
    { numRuns: 300 },
  );
});

test("adding a variable moves no other one, except from b to b + 2^bits when a bit is added", () => {
  let grew = 0;
  let stayed = 0;
  fc.assert(
    fc.property(
      entriesOf(100),
      fc.stringMatching(/^AIRFLOW_VAR_NEW_[A-Z0-9]{1,6}$/),
      fc.integer({ min: 1, max: BUDGET / 2 }),
      (entries, name, bytes) => {
        fc.pre(!entries.some((e) => e.name === name));
        const before = assigned(entries);
        const after = assigned([...entries, { name, bytes }]);
        const was = indexByName(before.shards);
        const now = indexByName(after.shards);
        expect(after.bits).toBeGreaterThanOrEqual(before.bits);
        if (after.bits === before.bits) stayed++;
        else grew++;
        const oldMask = (1 << before.bits) - 1;
        for (const [variable, index] of was) {
          if (after.bits === before.bits) expect(now.get(variable)).toBe(index);
          else expect(now.get(variable)! & oldMask).toBe(index);
        }
        // Only the new variable's Secret changes content when no bit is added.
        if (after.bits === before.bits) {
          const changed = after.shards.filter(
            (s) =>
              JSON.stringify(s.variableNames) !==
              JSON.stringify(before.shards.find((b) => b.index === s.index)?.variableNames),
          );
          expect(changed.map((s) => s.index)).toEqual([now.get(name)]);
        }
      },
    ),
    { numRuns: 400 },
  );
  // Both branches were exercised, or the property above proved less than it says.
  expect(stayed).toBeGreaterThan(0);
  expect(grew).toBeGreaterThan(0);
});

test("the assignment does not depend on declaration order", () => {
  fc.assert(
    fc.property(
      entriesOf(100).chain((e) => fc.tuple(fc.constant(e), fc.shuffledSubarray(e, { minLength: e.length }))),
      ([entries, shuffled]) => {
        expect(indexByName(assigned(shuffled).shards)).toEqual(indexByName(assigned(entries).shards));
      },
    ),
    { numRuns: 200 },
  );
});

test("one Secret, as before, whenever everything fits in one", () => {
  fc.assert(
    fc.property(entriesOf(Math.floor(BUDGET / 40)), (entries) => {
      const result = assigned(entries);
      expect(result.bits).toBe(0);
      expect(result.shards).toEqual([
        {
          index: 0,
          secretName: "airflow-dev-secrets",
          variableNames: entries.map((e) => e.name),
          bytes: entries.reduce((sum, e) => sum + e.bytes, 0),
        },
      ]);
    }),
  );
});

test(`more than 2^${MAX_SHARD_BITS} Secrets' worth is refused, with the fullest bucket`, () => {
  const entries = Array.from({ length: 2 ** MAX_SHARD_BITS + 1 }, (_, i) => ({
    name: `AIRFLOW_VAR_V${i}`,
    bytes: SECRET_MAX_BYTES,
  }));
  const result = assignShards("s", entries);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.fullestBytes).toBeGreaterThanOrEqual(2 * SECRET_MAX_BYTES);
});
