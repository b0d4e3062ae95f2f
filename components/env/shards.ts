/**
 * Which Kubernetes Secret holds which environment variable, when one Secret cannot hold them all.
 *
 * Kubernetes refuses a Secret whose data values total more than 1 MiB (`ValidateSecret` sums the
 * decoded bytes of every value: k8s.io/kubernetes pkg/apis/core/validation/validation.go, v1.34).
 * The rule, pure and stable:
 *   - a variable's bucket is the low `bits` bits of the first 32 bits of SHA-256(variable name);
 *   - `bits` is the smallest number (from 0, i.e. one Secret) for which every bucket fits the budget;
 *   - bucket 0 is the Secret named as before the split; bucket i > 0 is `{name}-{i}`.
 * So adding or removing a variable changes only its own bucket while `bits` stays, and when `bits`
 * grows by one, a variable either stays where it is or moves from bucket b to b + 2^bits (linear
 * hashing): the first Secret keeps its name, its URN and about half of its variables.
 */
import { createHash } from "crypto";

/** The most a Kubernetes Secret's data values may total (`core.MaxSecretSize`). */
export const SECRET_MAX_BYTES = 1024 * 1024;

/**
 * What a value known only at deployment (another resource's output, a generated Fernet key) is
 * counted as: its size cannot be known before it exists.
 */
export const UNKNOWN_VALUE_BYTES = 4 * 1024;

/** At most 2^6 = 64 Secrets, each one more `envFrom` entry in every Airflow pod. */
export const MAX_SHARD_BITS = 6;

/** One environment variable as the assignment sees it. */
export interface ShardEntry {
  /** The variable's name (the Secret's data key). */
  name: string;
  /** What it counts against the budget: its name's bytes and its value's. */
  bytes: number;
}

/** One Kubernetes Secret of the env backend. */
export interface EnvSecretShard {
  /** Its bucket: 0 for the first Secret (the name before splitting), then 1, 2… */
  index: number;
  /** The Kubernetes Secret's name. */
  secretName: string;
  /** The variables it holds, in the plan's order. */
  variableNames: string[];
  /** What they count against the budget. */
  bytes: number;
}

/** The bucket hash of a variable name: the first 32 bits of its SHA-256, as an unsigned integer. */
export function shardHash(variableName: string): number {
  return createHash("sha256").update(variableName).digest().readUInt32BE(0);
}

/** The Secret name of bucket `index`: the first keeps the configured name. */
export function shardSecretName(secretName: string, index: number): string {
  return index === 0 ? secretName : `${secretName}-${index}`;
}

export type ShardAssignment =
  | { ok: true; bits: number; shards: EnvSecretShard[] }
  /** No split up to `MAX_SHARD_BITS` fits: `fullestBytes` is the largest bucket at that many bits. */
  | { ok: false; fullestBytes: number };

/**
 * The buckets for these entries (each under `budget` on its own: check that first). Bucket 0 is
 * always present, even empty; the others only when they hold a variable, so no pod lists a Secret
 * that does not exist.
 */
export function assignShards(
  secretName: string,
  entries: readonly ShardEntry[],
  budget: number = SECRET_MAX_BYTES,
): ShardAssignment {
  const total = entries.reduce((sum, e) => sum + e.bytes, 0);
  if (total <= budget)
    return {
      ok: true,
      bits: 0,
      shards: [{ index: 0, secretName, variableNames: entries.map((e) => e.name), bytes: total }],
    };
  const hashes = entries.map((e) => shardHash(e.name));
  let fullestBytes = total;
  for (let bits = 1; bits <= MAX_SHARD_BITS; bits++) {
    const mask = (1 << bits) - 1;
    const sizes = new Array<number>(1 << bits).fill(0);
    entries.forEach((e, i) => (sizes[hashes[i] & mask] += e.bytes));
    fullestBytes = Math.max(...sizes);
    if (fullestBytes > budget) continue;
    const names = sizes.map((): string[] => []);
    entries.forEach((e, i) => names[hashes[i] & mask].push(e.name));
    return {
      ok: true,
      bits,
      shards: names
        .map((variableNames, index) => ({
          index,
          secretName: shardSecretName(secretName, index),
          variableNames,
          bytes: sizes[index],
        }))
        .filter((shard) => shard.index === 0 || shard.variableNames.length > 0),
    };
  }
  return { ok: false, fullestBytes };
}
