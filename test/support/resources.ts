/** Look-ups in the resources a program registered under the mock runtime. */
import type { RecordedResource } from "../../cli/synth/mockRuntime";

export function ofType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((r) => r.type === type);
}

/** The one resource of `type` (named `name`, or matching it); anything but exactly one fails the test. */
export function one(
  resources: readonly RecordedResource[],
  type: string,
  name?: string | RegExp,
): RecordedResource {
  const found = ofType(resources, type).filter(
    (r) => name === undefined || (typeof name === "string" ? r.name === name : name.test(r.name)),
  );
  if (found.length !== 1) {
    const have = ofType(resources, type).map((r) => r.name);
    throw new Error(
      `expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}; have ${have.join(", ") || "none"}`,
    );
  }
  return found[0];
}
