import type { PolicyResource } from "@pulumi/policy";
import { connectionLogin, connectionType } from "./lib/connections";
import { ENVIRONMENT_CONFIG_SCHEMA } from "./lib/environment";
import { AirflowStackPolicy, productionResources, readConfig } from "./lib/policy";
import { describe, ofType, references } from "./lib/references";
import {
  DAY,
  UNKNOWN,
  asArray,
  days,
  googleDurationSeconds,
  isRecord,
  known,
  knownOrUndefined,
} from "./lib/values";

const configSchema = {
  properties: {
    ...ENVIRONMENT_CONFIG_SCHEMA,
    rotatableConnTypes: {
      type: "array" as const,
      items: { type: "string" as const },
      default: ["postgres", "postgresql", "mysql"],
      description: "Connection types whose password the team can rotate (database logins).",
    },
    databasePasswordMaxDays: {
      type: "integer" as const,
      minimum: 1,
      default: 90,
      description: "Longest rotation period for static database passwords (checklist: quarterly).",
    },
    serviceTokenMaxDays: {
      type: "integer" as const,
      minimum: 1,
      default: 30,
      description: "Longest lifetime of Airflow's Vault service tokens (checklist: 30 days).",
    },
    dynamicCredentialMaxSeconds: {
      type: "integer" as const,
      minimum: 60,
      default: 3600,
      description: "Longest TTL of Vault dynamic database credentials (checklist: per task, 1 h).",
    },
  },
};

interface RotationConfig {
  rotatableConnTypes: string[];
  databasePasswordMaxDays: number;
  serviceTokenMaxDays: number;
  dynamicCredentialMaxSeconds: number;
}

type Report = (message: string, urn?: string) => void;

const NEAR_EXPIRY_EVENT = "Microsoft.KeyVault.SecretNearExpiry";

/**
 * Rotation cadence from the production checklist: static database passwords at most every 90
 * days, Vault dynamic database credentials per task (1 h), Airflow's Vault tokens at most 30 days.
 * A "rotatable connection" is a stored connection whose conn type is a database the team owns.
 */
export const rotationWithinCadence: AirflowStackPolicy = {
  name: "rotation-within-cadence",
  description:
    "Production database connections are rotated at least every 90 days, Vault dynamic credentials live at most 1 h and Vault service tokens at most 30 days.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "AWS: add an aws.secretsmanager.SecretRotation for the secret with rotationRules.automaticallyAfterDays <= 90 (the aws backend's " +
    "`rotation` setting creates it with the shared rotation Lambda). GCP: set rotation.rotationPeriod <= 7776000s and topics on the " +
    "secret, with a subscriber that rotates. Azure: set properties.attributes.expires within 90 days and subscribe the rotation " +
    "function to Microsoft.KeyVault.SecretNearExpiry. Vault: rotate the login with a database static role (rotationPeriod <= 90 days) " +
    "or use dynamic roles with defaultTtl/maxTtl <= 1 h; keep tokenMaxTtl of Airflow's auth role <= 30 days.",
  configSchema,
  resourceTypes: [
    "aws:secretsmanager/secret:Secret",
    "aws:secretsmanager/secretRotation:SecretRotation",
    "aws:ssm/parameter:Parameter",
    "gcp:secretmanager/secret:Secret",
    "azure-native:keyvault:Secret",
    "vault:database/secretBackendStaticRole:SecretBackendStaticRole",
    "vault:database/secretBackendRole:SecretBackendRole",
    "vault:kubernetes/authBackendRole:AuthBackendRole",
  ],
  configExample: { databasePasswordMaxDays: 60, productionStacks: ["live"] },
  validateStack: (args, reportViolation) => {
    const config = readConfig<RotationConfig>(args, configSchema);
    const resources = productionResources(args).filter((r) => !standbyCopy(r));
    const maxSeconds = config.databasePasswordMaxDays * DAY;
    const rotatable = (stored: unknown) => {
      const type = connectionType(stored);
      return type !== undefined && config.rotatableConnTypes.map((t) => t.toLowerCase()).includes(type)
        ? type
        : undefined;
    };
    checkAws(resources, rotatable, maxSeconds, reportViolation);
    checkSsm(resources, rotatable, reportViolation);
    checkGcp(resources, rotatable, maxSeconds, reportViolation);
    checkAzure(resources, rotatable, maxSeconds, reportViolation);
    checkVault(resources, rotatable, config, reportViolation);
  },
};

/** Where a backend stores connections: a standby's copies of these are judged by the primary's rotation. */
const STORED_SECRET_TYPES = new Set([
  "aws:secretsmanager/secret:Secret",
  "aws:ssm/parameter:Parameter",
  "gcp:secretmanager/secret:Secret",
  "gcp:secretmanager/regionalSecret:RegionalSecret",
  "azure-native:keyvault:Secret",
  "vault:kv/secretV2:SecretV2",
]);

/**
 * A stored secret of an environment's standby backend (`mirror:`): it holds the value the primary's
 * rotator owns, refreshed after each rotation (README "Standby backend (mirror)"), and has no rotator
 * of its own by design; the primary's copy is held to the cadence.
 */
function standbyCopy(resource: PolicyResource): boolean {
  if (!STORED_SECRET_TYPES.has(resource.type)) return false;
  let backend: string | undefined;
  for (let at = resource.parent; at; at = at.parent) {
    const component = /^airflow-secrets:([a-z]+):[A-Za-z]+AirflowSecrets$/.exec(at.type);
    if (component && backend === undefined) backend = component[1];
    if (at.type === "airflow-secrets:index:AirflowSecretsEnvironment")
      return backend !== undefined && known(() => at!.props.standbyBackend) === backend;
  }
  return false;
}

/** Stored values of `secret` held by version resources that point at it through `property`. */
function storedValues(
  versions: PolicyResource[],
  property: string,
  valueKey: string,
  secret: PolicyResource,
): unknown[] {
  return versions
    .filter((v) => references(v, property, secret))
    .map((v) => known(() => v.props[valueKey]))
    .filter((v) => v !== UNKNOWN);
}

function checkAws(
  resources: PolicyResource[],
  rotatable: (v: unknown) => string | undefined,
  maxSeconds: number,
  report: Report,
) {
  const versions = ofType(resources, "aws:secretsmanager/secretVersion:SecretVersion");
  const rotations = ofType(resources, "aws:secretsmanager/secretRotation:SecretRotation");
  for (const secret of ofType(resources, "aws:secretsmanager/secret:Secret")) {
    const type = storedValues(versions, "secretId", "secretString", secret).map(rotatable).find(Boolean);
    if (!type) continue;
    const rotation = rotations.find((r) => references(r, "secretId", secret));
    if (!rotation) {
      report(`${describe(secret)} holds a ${type} connection and has no SecretRotation.`, secret.urn);
      continue;
    }
    const rules = knownOrUndefined(() => rotation.props.rotationRules);
    const period = isRecord(rules) ? awsRotationPeriodSeconds(rules) : undefined;
    if (period === undefined) {
      report(
        `${describe(rotation)} has no rotation period this policy can verify: use rotationRules.automaticallyAfterDays or rate(N days).`,
        rotation.urn,
      );
    } else if (period > maxSeconds) {
      report(
        `${describe(rotation)} rotates every ${days(period)}; the limit is ${days(maxSeconds)}.`,
        rotation.urn,
      );
    }
  }
}

/** SSM parameters have no rotation: a production database login stored there never changes. */
function checkSsm(
  resources: PolicyResource[],
  rotatable: (v: unknown) => string | undefined,
  report: Report,
) {
  for (const parameter of ofType(resources, "aws:ssm/parameter:Parameter")) {
    const type = rotatable(knownOrUndefined(() => parameter.props.value));
    if (type) {
      report(
        `${describe(parameter)} holds a ${type} connection in SSM Parameter Store, which cannot rotate it; store it in Secrets Manager with a SecretRotation.`,
        parameter.urn,
      );
    }
  }
}

/** Longest gap between rotations under `rotationRules`, when it can be read off the rules. */
export function awsRotationPeriodSeconds(rules: Record<string, unknown>): number | undefined {
  const after = knownOrUndefined(() => rules.automaticallyAfterDays);
  if (typeof after === "number" && after > 0) return after * DAY;
  const schedule = knownOrUndefined(() => rules.scheduleExpression);
  if (typeof schedule !== "string") return undefined;
  const rate = /^rate\(\s*(\d+)\s+(hour|hours|day|days)\s*\)$/.exec(schedule.trim());
  if (rate) return Number(rate[1]) * (rate[2].startsWith("hour") ? 3600 : DAY);
  // cron(min hour day-of-month month day-of-week year): with every month selected it fires at least monthly.
  const cron = /^cron\((.*)\)$/.exec(schedule.trim());
  if (cron) {
    const fields = cron[1].trim().split(/\s+/);
    if (fields.length === 6 && fields[3] === "*") return 62 * DAY;
  }
  return undefined;
}

function checkGcp(
  resources: PolicyResource[],
  rotatable: (v: unknown) => string | undefined,
  maxSeconds: number,
  report: Report,
) {
  // Global and regional secrets take the same rotation and topics inputs; each has its own version type.
  const versions = ofType(
    resources,
    "gcp:secretmanager/secretVersion:SecretVersion",
    "gcp:secretmanager/regionalSecretVersion:RegionalSecretVersion",
  );
  for (const secret of ofType(
    resources,
    "gcp:secretmanager/secret:Secret",
    "gcp:secretmanager/regionalSecret:RegionalSecret",
  )) {
    const type = storedValues(versions, "secret", "secretData", secret).map(rotatable).find(Boolean);
    if (!type) continue;
    const rotation = knownOrUndefined(() => secret.props.rotation);
    const period = isRecord(rotation)
      ? googleDurationSeconds(knownOrUndefined(() => rotation.rotationPeriod))
      : undefined;
    const topics = knownOrUndefined(() => asArray(secret.props.topics as unknown[]));
    if (period === undefined) {
      report(
        `${describe(secret)} holds a ${type} connection and has no rotation.rotationPeriod.`,
        secret.urn,
      );
    } else if (period > maxSeconds) {
      report(
        `${describe(secret)} rotates every ${days(period)}; the limit is ${days(maxSeconds)}.`,
        secret.urn,
      );
    }
    if (period !== undefined && (!topics || topics.length === 0)) {
      report(
        `${describe(secret)} has a rotation period but no topics: nothing is notified to rotate it.`,
        secret.urn,
      );
    }
  }
}

function checkAzure(
  resources: PolicyResource[],
  rotatable: (v: unknown) => string | undefined,
  maxSeconds: number,
  report: Report,
) {
  const secrets = ofType(resources, "azure-native:keyvault:Secret").filter((secret) => {
    const properties = knownOrUndefined(() => secret.props.properties);
    return isRecord(properties) && rotatable(knownOrUndefined(() => properties.value)) !== undefined;
  });
  if (secrets.length === 0) return;
  const subscribed = ofType(
    resources,
    "azure-native:eventgrid:SystemTopicEventSubscription",
    "azure-native:eventgrid:EventSubscription",
  ).some((subscription) => {
    const filter = knownOrUndefined(() => subscription.props.filter);
    const types = isRecord(filter)
      ? knownOrUndefined(() => asArray(filter.includedEventTypes as unknown[]))
      : undefined;
    return (types ?? []).includes(NEAR_EXPIRY_EVENT);
  });
  if (!subscribed) {
    report(
      `No Event Grid subscription for ${NEAR_EXPIRY_EVENT}: Key Vault database secrets are never rotated.`,
    );
  }
  const now = Date.now() / 1000;
  for (const secret of secrets) {
    const expires = knownOrUndefined(() => secret.props.properties.attributes?.expires);
    if (typeof expires !== "number") {
      report(
        `${describe(secret)} holds a database connection and has no properties.attributes.expires.`,
        secret.urn,
      );
    } else if (expires - now > maxSeconds) {
      report(
        `${describe(secret)} expires in ${days(expires - now)}; the limit is ${days(maxSeconds)}.`,
        secret.urn,
      );
    }
  }
}

function checkVault(
  resources: PolicyResource[],
  rotatable: (v: unknown) => string | undefined,
  config: RotationConfig,
  report: Report,
) {
  const maxSeconds = config.databasePasswordMaxDays * DAY;
  const staticRoles = ofType(resources, "vault:database/secretBackendStaticRole:SecretBackendStaticRole");
  for (const role of staticRoles) {
    const period = knownOrUndefined(() => role.props.rotationPeriod);
    if (typeof period !== "number") {
      report(`${describe(role)} has no rotationPeriod (a rotationSchedule cannot be verified).`, role.urn);
    } else if (period > maxSeconds) {
      report(`${describe(role)} rotates every ${days(period)}; the limit is ${days(maxSeconds)}.`, role.urn);
    }
  }
  for (const role of ofType(resources, "vault:database/secretBackendRole:SecretBackendRole")) {
    for (const key of ["defaultTtl", "maxTtl"]) {
      const ttl = knownOrUndefined(() => role.props[key]);
      if (typeof ttl !== "number" || ttl <= 0) {
        report(`${describe(role)} has no ${key}: the mount default (often 32 days) applies.`, role.urn);
      } else if (ttl > config.dynamicCredentialMaxSeconds) {
        report(
          `${describe(role)} ${key} is ${ttl}s; dynamic credentials may live ${config.dynamicCredentialMaxSeconds}s.`,
          role.urn,
        );
      }
    }
  }
  const tokenMax = config.serviceTokenMaxDays * DAY;
  for (const role of ofType(
    resources,
    "vault:kubernetes/authBackendRole:AuthBackendRole",
    "vault:jwt/authBackendRole:AuthBackendRole",
  )) {
    const explicit = knownOrUndefined(() => role.props.tokenExplicitMaxTtl);
    const max = knownOrUndefined(() => role.props.tokenMaxTtl);
    const periodic = knownOrUndefined(() => role.props.tokenPeriod);
    const lifetime =
      typeof explicit === "number" && explicit > 0
        ? explicit
        : typeof periodic === "number" && periodic > 0
          ? undefined
          : max;
    if (typeof lifetime !== "number" || lifetime <= 0) {
      report(
        `${describe(role)} issues tokens without a maximum lifetime: set tokenMaxTtl (or tokenExplicitMaxTtl) <= ${days(tokenMax)}.`,
        role.urn,
      );
    } else if (lifetime > tokenMax) {
      report(
        `${describe(role)} tokens live up to ${days(lifetime)}; the limit is ${days(tokenMax)}.`,
        role.urn,
      );
    }
  }
  // KV v2, KV v1 and the generic secret resource all store a connection as dataJson.
  for (const secret of ofType(
    resources,
    "vault:kv/secretV2:SecretV2",
    "vault:kv/secret:Secret",
    "vault:generic/secret:Secret",
  )) {
    const stored = knownOrUndefined(() => secret.props.dataJson);
    const type = rotatable(stored);
    if (!type) continue;
    const login = connectionLogin(stored);
    const rotated = staticRoles.some((role) => knownOrUndefined(() => role.props.username) === login);
    if (!rotated) {
      report(
        `${describe(secret)} holds a ${type} connection for login "${login ?? "?"}" and no database static role rotates that login.`,
        secret.urn,
      );
    }
  }
}
