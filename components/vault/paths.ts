/** Naming rules shared by the Vault components. */
import { Problems } from "../airflow";
import { resourceNameFragment } from "../core/naming";

/** Mount paths Vault reserves for itself. */
const RESERVED_MOUNTS = new Set(["sys", "auth", "identity", "cubbyhole"]);

/** A Vault mount path (secrets engine, auth method or audit device): `a` or `a/b`, no slashes around. */
export function checkMountPath(path: string, field: string, problems: Problems): boolean {
  const ok =
    typeof path === "string" &&
    /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(path) &&
    !path.split("/").some((s) => s === "." || s === "..");
  if (
    !problems.check(
      ok,
      field,
      `must be a Vault mount path: segments of letters, digits, _ . - with no leading or trailing "/"`,
    )
  ) {
    return false;
  }
  return problems.check(
    !RESERVED_MOUNTS.has(path.split("/")[0]),
    field,
    `"${path.split("/")[0]}/" is reserved by Vault`,
  );
}

/** A Vault role name (auth or database role): letters, digits, _ . -. */
export function checkRoleName(name: string, field: string, problems: Problems): boolean {
  return problems.check(
    typeof name === "string" && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(name),
    field,
    `must be a Vault role name: letters, digits, _ . -, starting with a letter or digit, at most 128`,
  );
}

/** A whole number of seconds in `[min, max]`. */
export function checkSeconds(
  value: unknown,
  field: string,
  problems: Problems,
  min: number,
  max: number,
): value is number {
  return problems.check(
    typeof value === "number" && Number.isInteger(value) && value >= min && value <= max,
    field,
    `must be a whole number of seconds from ${min} to ${max}`,
  );
}

/** `max ≥ default`, reported on the max field. */
function checkTtlOrder(defaultTtl: number, maxTtl: number, field: string, problems: Problems): boolean {
  return problems.check(
    maxTtl >= defaultTtl,
    field,
    "must be at least the default TTL; Vault would cap every lease at the max",
  );
}

/** A default and a max TTL (defaults applied): each 60 s to `limit`, the max at least the default. */
export function checkTtlPair(
  ttl: number,
  maxTtl: number,
  limit: number,
  fields: { ttl: string; maxTtl: string },
  problems: Problems,
): void {
  const ttlOk = checkSeconds(ttl, fields.ttl, problems, 60, limit);
  const maxOk = checkSeconds(maxTtl, fields.maxTtl, problems, 60, limit);
  if (ttlOk && maxOk) checkTtlOrder(ttl, maxTtl, fields.maxTtl, problems);
}

/** A stable Pulumi resource-name fragment for an id; `-` stays, another would rename resources. */
export const nameFragment = (id: string): string => resourceNameFragment(id, "-");
