/**
 * Airflow's Fernet key rules: `[core] fernet_key` is one or more url-safe base64 32-byte keys,
 * comma separated; the first encrypts, all decrypt. A rotation deploys `new,old`, runs
 * `airflow rotate-fernet-key` (re-encrypts with the first), then deploys `new` alone.
 */
import { Problems } from "./problems";

export interface FernetSettings {
  /**
   * Key generations, oldest first (e.g. ["2026-q3", "2026-q4"]). Appending one starts a rotation;
   * removing the oldest after the window destroys that key for good.
   */
  generations: string[];
  /** While true the value is `newest,previous`, so values encrypted with the previous key still decrypt. */
  rotationInProgress?: boolean;
  /**
   * While `rotationInProgress`, run `airflow rotate-fernet-key` as a Kubernetes Job under Airflow's
   * service account (`pulumi up` waits for it). Without it, run the command yourself (README, "Fernet key").
   */
  reencryptJob?: {
    /** Airflow's image, the one the deployment runs. */
    image: string;
    /** The Secret holding the metadata database URL (Helm chart: `<release>-metadata`, key `connection`). */
    metadataSecret: { name: string; key?: string };
  };
}

const GENERATION = /^[a-z0-9][a-z0-9-]{0,31}$/;

export function validateFernetSettings(settings: FernetSettings, problems: Problems, path = "fernet"): void {
  const generations = settings?.generations;
  if (
    !problems.check(
      Array.isArray(generations) && generations.length > 0,
      `${path}.generations`,
      "must list at least one key generation",
    )
  )
    return;
  generations.forEach((g, i) =>
    problems.check(
      GENERATION.test(String(g)),
      `${path}.generations[${i}]`,
      "must be 1-32 lowercase letters, digits or -",
    ),
  );
  problems.check(
    new Set(generations).size === generations.length,
    `${path}.generations`,
    "must not repeat a generation",
  );
  if (settings.rotationInProgress) {
    problems.check(
      generations.length >= 2,
      `${path}.rotationInProgress`,
      "needs two generations: the new key encrypts while the previous one still decrypts",
    );
  }
}

/** Standard base64 to the url-safe alphabet Airflow's `Fernet(key)` expects (padding kept). */
export function toUrlSafeBase64(base64: string): string {
  return base64.replace(/\+/g, "-").replace(/\//g, "_");
}

/** The `[core] fernet_key` value: newest first, plus the previous key during a rotation window. */
export function fernetKeyValue(keysOldestFirst: readonly string[], rotationInProgress: boolean): string {
  const newestFirst = [...keysOldestFirst].reverse();
  return (rotationInProgress ? newestFirst.slice(0, 2) : newestFirst.slice(0, 1)).join(",");
}
