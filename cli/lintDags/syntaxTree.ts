/** Small helpers over web-tree-sitter nodes. */
import type { Node } from "web-tree-sitter";

/** Named children without comments, which tree-sitter may attach anywhere. */
export function namedChildren(node: Node | null): Node[] {
  return (node?.namedChildren ?? []).filter(
    (child): child is Node => child !== null && child.type !== "comment",
  );
}

export interface LiteralPrefix {
  text: string;
  /** False when an f-string interpolation follows `text`. */
  complete: boolean;
}

/**
 * The literal text a string expression starts with, up to its first `{interpolation}`, and
 * whether that is the whole string. Undefined for anything but string literals.
 */
export function literalPrefix(node: Node | null): LiteralPrefix | undefined {
  if (node?.type === "concatenated_string") {
    let text = "";
    for (const part of namedChildren(node)) {
      const prefix = literalPrefix(part);
      if (!prefix) return undefined;
      text += prefix.text;
      if (!prefix.complete) return { text, complete: false };
    }
    return { text, complete: true };
  }
  if (node?.type !== "string") return undefined;
  let text = "";
  for (const part of namedChildren(node)) {
    if (part.type === "interpolation") return { text, complete: false };
    if (part.type === "string_content") text += part.text;
  }
  return { text, complete: true };
}
