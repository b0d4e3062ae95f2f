/**
 * The Airflow configuration that makes Airflow read what was provisioned: `[secrets] backend` and
 * `backend_kwargs`, the cache, Airflow 3's `[workers]` backend, `{option}_secret` references and the
 * exact lookup patterns. Rendered as data, as environment variables and as an airflow.cfg fragment.
 */
import { BackendProfile, ConnectionFormat, SecretsLayout } from "./backends";
import { ConfigDeclaration, SecretKind } from "./declarations";
import { exactLookupPattern } from "./lookupPattern";
import { Problems, checkKnownKeys } from "./problems";
import { stableJson } from "./serialize";
import { configEnvVar, configKey } from "./sensitiveConfig";
import { AirflowVersionRules, parseAirflowLine } from "./versions";

export interface AirflowSettings {
  /**
   * Airflow version the deployment runs: a supported line (`SUPPORTED_AIRFLOW_VERSIONS`: "2.10",
   * "2.11", "3.0", "3.1"), optionally with a patch ("2.10.5"). A string: YAML reads 2.10 as 2.1.
   */
  version: string;
  /** `[secrets] use_cache` / `cache_ttl_seconds` (Airflow ≥ 2.7). The checklist asks for it in prod. */
  cache?: { enabled: boolean; ttlSeconds?: number };
  /** Stored connection form; JSON needs Airflow ≥ 2.3, which is the default when it is available. */
  connectionFormat?: ConnectionFormat;
  /**
   * The longest an Airflow task runs, in hours (default 24): a task keeps the credential it read at
   * start, so alternating-users rotation must keep the previous login valid at least this long
   * beyond the secrets cache TTL.
   */
  longestTaskHours?: number;
}

/** `longestTaskHours` when the stack does not say. */
export const DEFAULT_LONGEST_TASK_HOURS = 24;
/** Airflow's own `[secrets] cache_ttl_seconds` default. */
export const AIRFLOW_DEFAULT_CACHE_TTL_SECONDS = 900;

/** The supported line `airflow.version` names, with every rule that depends on it. */
export type AirflowVersion = AirflowVersionRules;

export interface ConfigOption {
  section: string;
  option: string;
  value: string;
}

export interface AirflowConfig {
  /** `[secrets] backend`; absent for the env-var backend, which Airflow always reads first. */
  backendClass?: string;
  backendKwargs?: Record<string, unknown>;
  /** Every option, sorted by section then option. */
  options: ConfigOption[];
  /** The same options as `AIRFLOW__SECTION__OPTION` environment variables. */
  env: Record<string, string>;
  /** The same options as an airflow.cfg fragment (`%` escaped as `%%` for configparser). */
  cfg: string;
  /** Which stored form connections use. */
  connectionFormat: ConnectionFormat;
}

/** Locale-independent ordering, so rendered output is identical on every machine. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Reads `airflow.version` (see `parseAirflowLine`): undefined, with a problem, unless it is a supported line. */
export function parseAirflowVersion(
  version: unknown,
  problems: Problems,
  path = "airflow.version",
): AirflowVersion | undefined {
  return parseAirflowLine(version, problems, path);
}

export function validateSettings(settings: AirflowSettings, problems: Problems): AirflowVersion | undefined {
  checkKnownKeys(settings, ["version", "cache", "connectionFormat", "longestTaskHours"], "airflow", problems);
  if (settings?.longestTaskHours !== undefined)
    problems.check(
      Number.isInteger(settings.longestTaskHours) &&
        settings.longestTaskHours >= 1 &&
        settings.longestTaskHours <= 720,
      "airflow.longestTaskHours",
      "must be a whole number of hours from 1 to 720",
    );
  checkKnownKeys(settings?.cache, ["enabled", "ttlSeconds"], "airflow.cache", problems);
  const version = parseAirflowVersion(settings?.version, problems);
  if (settings?.cache !== undefined) {
    const ttl = settings.cache.ttlSeconds;
    if (ttl !== undefined) {
      problems.check(
        Number.isInteger(ttl) && ttl >= 1 && ttl <= 86400,
        "airflow.cache.ttlSeconds",
        `must be a whole number of seconds from 1 to 86400 (got ${JSON.stringify(ttl)})`,
      );
    }
  }
  if (settings?.connectionFormat !== undefined) {
    problems.check(
      ["json", "uri"].includes(settings.connectionFormat),
      "airflow.connectionFormat",
      `must be "json" or "uri" (got "${settings.connectionFormat}")`,
    );
  }
  return version;
}

/** JSON unless set: every supported line reads JSON connections (Airflow ≥ 2.3). */
export function defaultConnectionFormat(
  settings: AirflowSettings,
  _version?: AirflowVersion,
): ConnectionFormat {
  return settings.connectionFormat ?? "json";
}

const LOOKUP_PATTERN_KEYS: Record<SecretKind, string> = {
  connection: "connections_lookup_pattern",
  variable: "variables_lookup_pattern",
  config: "config_lookup_pattern",
};

export interface RenderInput {
  profile: BackendProfile;
  layout: SecretsLayout;
  ids: ReadonlyArray<{ kind: SecretKind; id: string }>;
  /**
   * Connections only a rotation function reads (rotation masters): stored, but kept out of the
   * lookup patterns so Airflow never asks the store for a credential it is denied.
   */
  rotationMasterIds?: ReadonlySet<string>;
  config: readonly ConfigDeclaration[];
  settings: AirflowSettings;
  version: AirflowVersion;
  /** Backend kwargs the cloud folder adds (url, auth, region, project). */
  extraKwargs?: Record<string, unknown>;
}

export function renderAirflowConfig(input: RenderInput): AirflowConfig {
  const { profile, layout, ids, settings, version } = input;
  const options: ConfigOption[] = [];
  const declaredKinds = new Set(ids.map((d) => d.kind));
  let backendKwargs: Record<string, unknown> | undefined;

  if (profile.backendClass) {
    backendKwargs = { ...profile.layoutKwargs(layout, declaredKinds), ...(input.extraKwargs ?? {}) };
    if (profile.supportsLookupPatterns) {
      for (const kind of ["connection", "variable", "config"] as const) {
        if (!declaredKinds.has(kind)) continue; // the prefix is null: no lookups at all
        const readByAirflow = ids.filter(
          (d) => d.kind === kind && !(kind === "connection" && input.rotationMasterIds?.has(d.id)),
        );
        backendKwargs[LOOKUP_PATTERN_KEYS[kind]] = exactLookupPattern(readByAirflow.map((d) => d.id));
      }
    }
    const kwargsJson = stableJson(backendKwargs);
    options.push({ section: "secrets", option: "backend", value: profile.backendClass });
    options.push({ section: "secrets", option: "backend_kwargs", value: kwargsJson });
    if (version.workersSecretsBackend) {
      // Airflow 3 workers read `[workers] secrets_backend` first (falling back to `[secrets]`): set both so they cannot diverge.
      options.push({ section: "workers", option: "secrets_backend", value: profile.backendClass });
      options.push({ section: "workers", option: "secrets_backend_kwargs", value: kwargsJson });
    }
    if (settings.cache !== undefined) {
      options.push({
        section: "secrets",
        option: "use_cache",
        value: settings.cache.enabled ? "True" : "False",
      });
      if (settings.cache.enabled) {
        options.push({
          section: "secrets",
          option: "cache_ttl_seconds",
          value: String(settings.cache.ttlSeconds ?? 900),
        });
      }
    }
    for (const option of input.config) {
      options.push({
        section: option.section,
        option: `${option.option}_secret`,
        value: configKey(option, profile.kind),
      });
    }
  }

  options.sort((a, b) => byCodeUnits(`${a.section}\0${a.option}`, `${b.section}\0${b.option}`));
  return {
    backendClass: profile.backendClass,
    backendKwargs,
    options,
    env: Object.fromEntries(options.map((o) => [configEnvVar(o.section, o.option), o.value])),
    cfg: renderCfg(options),
    connectionFormat: defaultConnectionFormat(settings, version),
  };
}

function renderCfg(options: readonly ConfigOption[]): string {
  const sections = new Map<string, ConfigOption[]>();
  for (const o of options) sections.set(o.section, [...(sections.get(o.section) ?? []), o]);
  return [...sections.entries()]
    .map(
      ([section, opts]) =>
        `[${section}]\n${opts.map((o) => `${o.option} = ${o.value.replace(/%/g, "%%")}`).join("\n")}\n`,
    )
    .join("\n");
}
