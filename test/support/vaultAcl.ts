/**
 * A small evaluator of Vault ACL policies, following Vault's documented matching (and `vault/acl.go`):
 *  - a path ending in `*` is a prefix glob (the `*` is dropped and the rest matched as a prefix);
 *  - a `+` segment matches exactly one path segment;
 *  - rules for the same path string from several policies merge: capabilities are unioned, and an
 *    explicit `deny` on that path wins over everything else;
 *  - an exact rule beats every wildcard rule; among wildcard/glob rules the most specific wins:
 *    later first wildcard or glob, then not-a-prefix over prefix, then fewer `+` segments, then the
 *    longer path, then the lexicographically greater one;
 *  - a LIST request on `p/` also honours an exact rule on `p` and is first tried without the slash.
 * Policies come from the real HCL parser (`@cdktf/hcl2json`) or Vault's JSON syntax.
 */
import { parse } from "@cdktf/hcl2json";

export type VaultOperation = "create" | "read" | "update" | "patch" | "delete" | "list";

const KNOWN = new Set([
  "create",
  "read",
  "update",
  "patch",
  "delete",
  "list",
  "sudo",
  "deny",
  "subscribe",
  "recover",
]);

/** A parsed policy: Vault's JSON shape, where each path maps to one block or (from HCL) a list of blocks. */
export interface ParsedPolicy {
  path?: Record<string, { capabilities?: string[] } | Array<{ capabilities?: string[] }>>;
}

interface PathRule {
  /** The path as stored: glob `*` stripped for plain prefixes, kept for segment-wildcard paths. */
  path: string;
  capabilities: Set<string>;
}

/** Parses HCL policy text with the real HCL parser. */
export async function parseHclPolicy(hcl: string, file = "policy.hcl"): Promise<ParsedPolicy> {
  return (await parse(file, hcl)) as ParsedPolicy;
}

function merge(target: Map<string, PathRule>, path: string, capabilities: Set<string>): void {
  const existing = target.get(path);
  if (!existing) {
    target.set(path, { path, capabilities: new Set(capabilities) });
    return;
  }
  if (existing.capabilities.has("deny")) return;
  if (capabilities.has("deny")) existing.capabilities = new Set(["deny"]);
  else capabilities.forEach((c) => existing.capabilities.add(c));
}

export class VaultAcl {
  private readonly exact = new Map<string, PathRule>();
  private readonly prefix = new Map<string, PathRule>();
  private readonly segmentWildcard = new Map<string, PathRule>();

  constructor(policies: ParsedPolicy[]) {
    for (const policy of policies) {
      for (const [rawPath, blockOrBlocks] of Object.entries(policy.path ?? {})) {
        const blocks = Array.isArray(blockOrBlocks) ? blockOrBlocks : [blockOrBlocks];
        let path = rawPath.replace(/^\/+/, "");
        if (path.includes("+*")) throw new Error(`path "${rawPath}": '+*' is forbidden`);
        const hasSegmentWildcards = path === "+" || path.includes("/+") || path.startsWith("+/");
        let isPrefix = false;
        if (path.endsWith("*") && !hasSegmentWildcards) {
          path = path.slice(0, -1);
          isPrefix = true;
        }
        for (const block of blocks) {
          const given = block.capabilities ?? [];
          for (const c of given)
            if (!KNOWN.has(c)) throw new Error(`path "${rawPath}": invalid capability "${c}"`);
          // A block with deny holds only deny.
          const capabilities = new Set(given.includes("deny") ? ["deny"] : given);
          merge(
            hasSegmentWildcards ? this.segmentWildcard : isPrefix ? this.prefix : this.exact,
            path,
            capabilities,
          );
        }
      }
    }
  }

  static async fromHcl(...hcl: string[]): Promise<VaultAcl> {
    return new VaultAcl(await Promise.all(hcl.map((text, i) => parseHclPolicy(text, `policy-${i}.hcl`))));
  }

  /** The capabilities that decide a request on `path` (empty when no rule matches). */
  private decidingRule(operation: VaultOperation, rawPath: string): PathRule | undefined {
    const path = rawPath.replace(/^\/+/, "");
    const exact = this.exact.get(path);
    if (exact) return exact;
    if (operation === "list") {
      const withoutSlash = this.exact.get(path.replace(/\/$/, ""));
      if (withoutSlash) return withoutSlash;
      if (path.endsWith("/")) {
        const rule = this.nonExact(path.slice(0, -1));
        if (rule) return rule;
      }
    }
    return this.nonExact(path);
  }

  private nonExact(path: string): PathRule | undefined {
    interface Candidate {
      firstWildcardOrGlob: number;
      wildcards: number;
      isPrefix: boolean;
      wcPath: string;
      rule: PathRule;
    }
    const candidates: Candidate[] = [];
    let longest: PathRule | undefined;
    for (const rule of this.prefix.values()) {
      if (path.startsWith(rule.path) && (!longest || rule.path.length > longest.path.length)) longest = rule;
    }
    if (longest) {
      if (this.segmentWildcard.size === 0) return longest;
      candidates.push({
        firstWildcardOrGlob: longest.path.length,
        wildcards: 0,
        isPrefix: true,
        wcPath: longest.path,
        rule: longest,
      });
    }
    const parts = path.split("/");
    for (const [fullPath, rule] of this.segmentWildcard) {
      const isPrefix = fullPath.endsWith("*");
      const wcPath = isPrefix ? fullPath.slice(0, -1) : fullPath;
      const aclParts = wcPath.split("/");
      if (parts.length < aclParts.length) continue;
      if (!isPrefix && aclParts.length !== parts.length) continue;
      let wildcards = 0;
      const matches = aclParts.every((aclPart, i) => {
        if (aclPart === "+") {
          wildcards++;
          return true;
        }
        if (aclPart === parts[i]) return true;
        return isPrefix && i === aclParts.length - 1 && parts[i].startsWith(aclPart);
      });
      if (matches)
        candidates.push({ firstWildcardOrGlob: fullPath.indexOf("+"), wildcards, isPrefix, wcPath, rule });
    }
    if (candidates.length === 0) return undefined;
    // Highest priority last, exactly as Vault's ordering.
    candidates.sort((a, b) => {
      if (a.firstWildcardOrGlob !== b.firstWildcardOrGlob)
        return a.firstWildcardOrGlob - b.firstWildcardOrGlob;
      if (a.isPrefix !== b.isPrefix) return a.isPrefix ? -1 : 1;
      if (a.wildcards !== b.wildcards) return b.wildcards - a.wildcards;
      if (a.wcPath.length !== b.wcPath.length) return a.wcPath.length - b.wcPath.length;
      return a.wcPath < b.wcPath ? -1 : a.wcPath > b.wcPath ? 1 : 0;
    });
    return candidates[candidates.length - 1].rule;
  }

  /** Whether a request of `operation` on `path` is allowed. */
  allows(operation: VaultOperation, path: string): boolean {
    const rule = this.decidingRule(operation, path);
    if (!rule || rule.capabilities.has("deny")) return false;
    return rule.capabilities.has(operation);
  }
}
