/**
 * Secretness of resource inputs. @pulumi/policy 1.21 unwraps secrets completely before calling
 * `validateResource` / `validateStack` (pulumi/pulumi-policy#241: a validation cannot tell a
 * secret from plain text). Only `remediateResource` receives props deserialized with secrets kept:
 * behind two proxies (unknown-checking, then secrets-preserving) each secret is a `Secret`
 * instance. This module peels the proxies to reach those instances.
 */
import { Secret } from "@pulumi/policy";
import { isRecord } from "./values";

/** Property names @pulumi/policy's proxies answer to (`proxy.ts`: isSpecialProxy, getSpecialProxyTarget). */
const IS_SPECIAL_PROXY = "__isSpecialProxy";
const SPECIAL_PROXY_TARGET = "__getSpecialProxyTarget";

/** The object under CrossGuard's proxies, where secret values are still `Secret` instances. */
export function withSecretsVisible(props: Record<string, unknown>): Record<string, unknown> {
  let node: unknown = props;
  while (isRecord(node) && (node as Record<string, unknown>)[IS_SPECIAL_PROXY] === true) {
    node = (node as Record<string, unknown>)[SPECIAL_PROXY_TARGET];
  }
  return node as Record<string, unknown>;
}

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

/**
 * Paths under `node` holding a value that is not inside a secret. An object or array is covered
 * when each of its members is; null and absent values hold nothing.
 */
export function unmarkedPaths(node: unknown, path: string): string[] {
  if (node === undefined || node === null || isSecret(node)) return [];
  if (Array.isArray(node)) return node.flatMap((item, i) => unmarkedPaths(item, `${path}[${i}]`));
  if (isRecord(node)) return Object.keys(node).flatMap((key) => unmarkedPaths(node[key], `${path}.${key}`));
  return [path];
}

export { Secret };
