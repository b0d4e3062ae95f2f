/**
 * What the stack file itself must get right about secrets, which no policy can see (the engine
 * hands analyzers decrypted values): in a production stack file passwords, secret-looking extras
 * and sensitive config values are `secure:` ciphertext, never plaintext in git; and in every stack
 * file the identifiers are plain, because they become resource names and URNs.
 */
import { Problems } from "../../components/airflow";

/** `extra` keys that hold credentials (Airflow's own masking uses similar names). */
export const SECRET_EXTRA_KEY = /pass(word|wd)?|secret|token|api_?key|private_?key|credential|keyfile_dict|auth/i;

const isSecure = (value: unknown) =>
  typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value;

type Entry = Record<string, unknown>;
const entries = (value: unknown): Entry[] =>
  Array.isArray(value) ? value.filter((v): v is Entry => typeof v === "object" && v !== null) : [];

export function checkStackFileSecrets(
  config: Record<string, unknown>,
  namespace: string,
  problems: Problems,
): void {
  const key = (name: string) => `${namespace}:${name}`;
  const environment = config[key("environment")];
  const production = config[key("production")] ?? environment === "prod";
  const mustBeSecure = (value: unknown, path: string) => {
    if (production === true && value !== undefined && !isSecure(value)) {
      problems.add(
        path,
        `is plaintext in a production stack file; set it with pulumi config set --secret --path '${path}' …`,
      );
    }
  };
  const mustBePlain = (value: unknown, path: string) => {
    if (isSecure(value)) {
      problems.add(path, "must not be a secure: value: it becomes part of resource names and URNs");
    }
  };

  entries(config[key("connections")]).forEach((conn, i) => {
    const at = `${key("connections")}[${i}]`;
    for (const field of ["conn_id", "conn_type", "port"]) mustBePlain(conn[field], `${at}.${field}`);
    mustBeSecure(conn.password, `${at}.password`);
    const extra = conn.extra;
    if (typeof extra === "object" && extra !== null && !Array.isArray(extra) && !isSecure(extra)) {
      for (const [name, value] of Object.entries(extra)) {
        if (SECRET_EXTRA_KEY.test(name)) mustBeSecure(value, `${at}.extra.${name}`);
      }
    }
  });
  entries(config[key("variables")]).forEach((variable, i) =>
    mustBePlain(variable.key, `${key("variables")}[${i}].key`),
  );
  entries(config[key("config")]).forEach((option, i) => {
    const at = `${key("config")}[${i}]`;
    for (const field of ["section", "option", "key"]) mustBePlain(option[field], `${at}.${field}`);
    // Only sensitive options are accepted as config declarations, so every value is a secret.
    mustBeSecure(option.value, `${at}.value`);
  });
}
