/**
 * Whether one resource's property points at another. During a first preview the referenced id is
 * still unknown, so the engine's property dependencies decide; once the stack exists (or offline)
 * the value itself can be compared with the target's id, ARN or name.
 */
import type { PolicyResource } from "@pulumi/policy";
import { knownOrUndefined } from "./values";

/** Values a reference to `target` may carry: its id, ARN, name, self link. */
export function identities(target: PolicyResource): string[] {
  const props = target.props;
  const values = ["id", "arn", "name", "selfLink", "secretId"].map((key) =>
    knownOrUndefined(() => props[key]),
  );
  return values.filter((v): v is string => typeof v === "string" && v !== "");
}

export function references(from: PolicyResource, property: string, target: PolicyResource): boolean {
  const dependencies = from.propertyDependencies?.[property] ?? [];
  if (dependencies.some((d) => d.urn === target.urn)) return true;
  const value = knownOrUndefined(() => from.props[property]);
  return typeof value === "string" && identities(target).includes(value);
}

export function ofType(resources: readonly PolicyResource[], ...types: string[]): PolicyResource[] {
  return resources.filter((r) => types.includes(r.type));
}

/** `type name` as people read it in `pulumi preview`. */
export function describe(resource: { type: string; name: string }): string {
  return `${resource.type} "${resource.name}"`;
}
