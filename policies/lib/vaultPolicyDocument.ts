/**
 * Vault ACL policies, parsed rather than pattern-matched: HCL through @cdktf/hcl2json (HashiCorp's
 * HCL parser compiled to WASM), JSON policies as JSON. The result lists every `path` block with
 * its capabilities.
 */
import { parse } from "@cdktf/hcl2json";
import { asArray, isRecord } from "./values";

export interface VaultPathRule {
  path: string;
  capabilities: string[];
}

export async function parseVaultPolicy(text: string): Promise<VaultPathRule[]> {
  const document: unknown = text.trim().startsWith("{") ? JSON.parse(text) : await parse("policy.hcl", text);
  const paths = isRecord(document) ? document.path : undefined;
  const rules: VaultPathRule[] = [];
  // hcl2json gives { path: { "<glob>": [ {block}, … ] } }; JSON policies may give the block directly.
  for (const [path, blocks] of Object.entries(isRecord(paths) ? paths : {})) {
    const capabilities = asArray(blocks as unknown[]).flatMap((block) =>
      isRecord(block) ? asArray(block.capabilities as string[] | undefined) : [],
    );
    rules.push({ path, capabilities: capabilities.map(String) });
  }
  return rules;
}
