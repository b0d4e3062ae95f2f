/** Finds secret material outside Pulumi secret wrappers in recorded resource inputs. */
import { isSecretValue, RecordedResource } from "../../cli/synth/mockRuntime";

export interface Leak {
  resource: string;
  path: string;
  needle: string;
}

/** Every place where one of `needles` appears in a plain (non-secret) string of any resource's inputs. */
export function findUnwrappedSecrets(
  resources: readonly RecordedResource[],
  needles: readonly string[],
): Leak[] {
  const leaks: Leak[] = [];
  const visit = (value: unknown, path: string, resource: string) => {
    if (isSecretValue(value)) return;
    if (typeof value === "string") {
      for (const needle of needles) if (value.includes(needle)) leaks.push({ resource, path, needle });
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, `${path}[${i}]`, resource));
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) visit(v, path ? `${path}.${k}` : k, resource);
    }
  };
  for (const r of resources) visit(r.inputs, "", `${r.type}::${r.name}`);
  return leaks;
}

/** How many secret-wrapped values contain `needle` (proves the secret was stored at all). */
export function countWrapped(resources: readonly RecordedResource[], needle: string): number {
  let count = 0;
  const visit = (value: unknown) => {
    if (isSecretValue(value)) {
      if (JSON.stringify(value.value).includes(needle)) count++;
      return;
    }
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(visit);
  };
  resources.forEach((r) => visit(r.inputs));
  return count;
}
