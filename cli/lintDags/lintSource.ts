/** Lints one DAG file's contents: decoding, parsing, syntax errors and the secret lookup rules. */
import type { Node } from "web-tree-sitter";
import { compareFindings, Finding } from "./findings";
import { visitImportTimeCode } from "./importTime";
import { parsePython } from "./parser";
import { Detection, secretLookupRules } from "./rules";
import { decodePythonSource } from "./sourceEncoding";

export async function lintDagSource(source: Buffer | string, file: string): Promise<Finding[]> {
  let text: string;
  if (typeof source === "string") {
    text = source.startsWith("\uFEFF") ? source.slice(1) : source;
  } else {
    const decoded = decodePythonSource(source);
    if (!decoded.ok) {
      return [{ file, line: decoded.line, column: decoded.column, rule: "AS901", message: decoded.message }];
    }
    text = decoded.text;
  }
  const tree = await parsePython(text);
  try {
    const detections: Detection[] = [];
    collectSyntaxErrors(tree.rootNode, detections);
    visitImportTimeCode(
      tree.rootNode,
      secretLookupRules((detection) => detections.push(detection)),
    );
    const lines = text.split("\n");
    return detections.map((detection) => toFinding(detection, file, lines)).sort(compareFindings);
  } finally {
    tree.delete();
  }
}

/** Where tree-sitter had to skip input (ERROR) or invent a token (MISSING); checks go on elsewhere. */
function collectSyntaxErrors(node: Node, detections: Detection[]): void {
  if (node.isMissing) {
    detections.push({
      at: node,
      rule: "AS900",
      message: `syntax error: missing ${JSON.stringify(node.type)}`,
    });
  } else if (node.isError) {
    const firstLine = node.text.split("\n")[0].trim();
    const excerpt = firstLine.length > 40 ? `${firstLine.slice(0, 40)}...` : firstLine;
    detections.push({
      at: node,
      rule: "AS900",
      message: `syntax error: cannot parse ${JSON.stringify(excerpt)}; secret lookups in this part of the file are not checked`,
    });
  } else if (node.hasError) {
    for (const child of node.children) if (child) collectSyntaxErrors(child, detections);
  }
}

/** tree-sitter counts columns in UTF-16 code units; findings count characters. */
function toFinding({ at, rule, message }: Detection, file: string, lines: readonly string[]): Finding {
  const { row, column } = at.startPosition;
  const charactersBefore = Array.from((lines[row] ?? "").slice(0, column)).length;
  return { file, line: row + 1, column: charactersBefore + 1, rule, message };
}

/** A secret lookup that runs at import time, with its id when it is a literal (for the cost estimate). */
export interface ImportTimeLookup {
  kind: "connection" | "variable";
  id?: string;
  file: string;
  line: number;
}

/** The import-time lookups the rules find that ask the secrets backend (environment reads do not). */
export async function importTimeLookups(source: Buffer | string, file: string): Promise<ImportTimeLookup[]> {
  const decoded =
    typeof source === "string" ? { ok: true as const, text: source } : decodePythonSource(source);
  if (!decoded.ok) return [];
  const tree = await parsePython(decoded.text);
  try {
    const lookups: ImportTimeLookup[] = [];
    visitImportTimeCode(
      tree.rootNode,
      secretLookupRules(({ at, lookup }) => {
        if (lookup) lookups.push({ ...lookup, file, line: at.startPosition.row + 1 });
      }),
    );
    return lookups;
  } finally {
    tree.delete();
  }
}
