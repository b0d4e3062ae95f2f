/**
 * Where DAG files name a connection or variable id, anywhere in the file (task code included): a
 * rename has to change every one of these. Uses lint-dags' Python parser and file walk. Literal
 * strings only; an id built at run time cannot be found and is not reported.
 */
import { promises as fs } from "fs";
import type { Node } from "web-tree-sitter";
import { findDagFiles } from "../lintDags/dagFiles";
import { parsePython } from "../lintDags/parser";
import { decodePythonSource } from "../lintDags/sourceEncoding";
import { literalPrefix, namedChildren } from "../lintDags/syntaxTree";

export interface DagReference {
  kind: "connection" | "variable";
  id: string;
  file: string;
  line: number;
  /** Found as `AIRFLOW_CONN_<ID>` / `AIRFLOW_VAR_<ID>`: `id` is upper-cased, as Airflow writes it. */
  envName?: boolean;
}

/** Callees whose first argument (or `key=` / `conn_id=`) is an id. */
const VARIABLE_CALLS = /(^|\.)Variable\.(get|setdefault|get_variable_from_secrets)$/;
const CONNECTION_CALLS = /(^|\.)(get_connection|get_connection_from_secrets|Connection\.get)$/;
/** Jinja templates: `{{ var.value.x }}`, `{{ var.json.x }}`, `{{ conn.x.host }}`. */
const TEMPLATE_REFERENCES = /\b(var\.(?:value|json)|conn)\.([\w]+)/g;
const ENV_REFERENCE = /^AIRFLOW_(CONN|VAR)_([A-Z0-9_]+)$/;

export async function findDagReferences(
  paths: readonly string[],
): Promise<{ references: DagReference[]; errors: string[] }> {
  const { files, errors } = await findDagFiles(paths);
  const references: DagReference[] = [];
  for (const file of files) {
    const decoded = decodePythonSource(await fs.readFile(file));
    if (!decoded.ok) {
      errors.push(`${file}: ${decoded.message}`);
      continue;
    }
    const tree = await parsePython(decoded.text);
    try {
      collect(tree.rootNode, file, references);
    } finally {
      tree.delete();
    }
  }
  return { references, errors };
}

function collect(root: Node, file: string, out: DagReference[]): void {
  const stack: Node[] = [root];
  const add = (kind: DagReference["kind"], id: string, node: Node, envName = false) =>
    out.push({ kind, id, file, line: node.startPosition.row + 1, ...(envName ? { envName } : {}) });
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === "keyword_argument") {
      const name = node.childForFieldName("name")?.text ?? "";
      const value = literalPrefix(node.childForFieldName("value"));
      if ((name === "conn_id" || name.endsWith("_conn_id")) && value?.complete && value.text)
        add("connection", value.text, node);
    } else if (node.type === "call") {
      const callee = node.childForFieldName("function")?.text ?? "";
      const kind = VARIABLE_CALLS.test(callee)
        ? "variable"
        : CONNECTION_CALLS.test(callee)
          ? "connection"
          : undefined;
      if (kind) {
        const args = namedChildren(node.childForFieldName("arguments"));
        const first = args.find(
          (a) => a.type !== "keyword_argument" && a.type !== "list_splat" && a.type !== "dictionary_splat",
        );
        const keyword = args.find(
          (a) =>
            a.type === "keyword_argument" &&
            ["key", "conn_id"].includes(a.childForFieldName("name")?.text ?? ""),
        );
        const literal = literalPrefix(keyword?.childForFieldName("value") ?? first ?? null);
        // `conn_id=` keywords are reported by the keyword rule above.
        if (literal?.complete && literal.text && !(keyword && kind === "connection"))
          add(kind, literal.text, node);
      }
    } else if (node.type === "string") {
      const literal = literalPrefix(node);
      const text = literal?.text ?? "";
      for (const match of text.matchAll(TEMPLATE_REFERENCES))
        add(match[1] === "conn" ? "connection" : "variable", match[2], node);
      const env = ENV_REFERENCE.exec(text);
      if (env) add(env[1] === "CONN" ? "connection" : "variable", env[2], node, true);
    }
    for (const child of node.namedChildren) if (child) stack.push(child);
  }
}

/** The references to one id: exact, or through the upper-cased env-var name Airflow builds from it. */
export function referencesTo(
  references: readonly DagReference[],
  kind: DagReference["kind"],
  id: string,
): string[] {
  const found = references.filter(
    (r) => r.kind === kind && (r.envName ? r.id === id.toUpperCase() : r.id === id),
  );
  return [...new Set(found.map((r) => `${r.file}:${r.line}`))].sort();
}
