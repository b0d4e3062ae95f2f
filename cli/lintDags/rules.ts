/** The rules: which import-time calls and reads are secret lookups, and what to tell the author. */
import type { Node } from "web-tree-sitter";
import { AirflowCall, classifyCallee, isEnvironmentMapping } from "./airflowApi";
import type { RuleId } from "./findings";
import type { ImportTimeVisitor } from "./importTime";
import { LiteralPrefix, literalPrefix, namedChildren } from "./syntaxTree";

/** A finding before it is given a file and a line/column. */
export interface Detection {
  at: Node;
  rule: RuleId;
  message: string;
  /** The secret this asks the backend for (the id when it is a literal): what the cost estimate counts. */
  lookup?: { kind: "connection" | "variable"; id?: string };
}

const ENV_PREFIXES = { connection: "AIRFLOW_CONN_", variable: "AIRFLOW_VAR_" } as const;
/** The keyword names that lookups take their key or conn_id under. */
const KEY_KEYWORDS = new Set(["key", "conn_id"]);

export function secretLookupRules(report: (detection: Detection) => void): ImportTimeVisitor {
  return {
    call(call, calleePaths) {
      const airflowCall = calleePaths.map(classifyCallee).find((match) => match !== undefined);
      const detection = airflowCall && detectCall(call, airflowCall);
      if (detection) report(detection);
    },
    subscript(subscript, objectPaths) {
      if (!objectPaths.some(isEnvironmentMapping)) return;
      const [key] = subscript.childrenForFieldName("subscript");
      const detection = detectEnvironmentRead(subscript, literalPrefix(key ?? null));
      if (detection) report(detection);
    },
  };
}

function detectCall(call: Node, airflowCall: AirflowCall): Detection | undefined {
  const literalKey = lookupKey(call);
  const key = literalKey?.complete ? literalKey.text : undefined;
  const callee = calleeText(call);
  // Name the Airflow API when an alias hides it: `V.get("x") (Variable.get)`.
  const written =
    callee === airflowCall.api || callee.endsWith(`.${airflowCall.api}`)
      ? callText(call)
      : `${callText(call)} (${airflowCall.api})`;
  switch (airflowCall.kind) {
    case "variable lookup":
      return {
        lookup: { kind: "variable", id: key },
        at: call,
        rule: "AS001",
        message: importTimeLookup(written, `{{ var.value.${key ?? "<key>"} }}`),
      };
    case "connection lookup":
      return {
        lookup: { kind: "connection", id: key },
        at: call,
        rule: "AS002",
        message: importTimeLookup(written, `{{ conn.${key ?? "<conn_id>"}.host }}`),
      };
    case "hook construction":
      return {
        lookup: { kind: "connection", id: hookConnId(call) },
        at: call,
        rule: "AS003",
        message:
          `${written} builds a hook at import time, on every DAG parse, and hooks fetch their connection ` +
          `from the secrets backend; create the hook inside the task and give operators only the conn_id`,
      };
    case "environment read":
      return detectEnvironmentRead(call, literalKey);
  }
}

function importTimeLookup(written: string, template: string): string {
  return (
    `${written} runs at import time, so every DAG parse queries the secrets backend and a failing lookup ` +
    `breaks the DAG; move the lookup into the task, ${orTemplate(template)}`
  );
}

/** `os.environ[...]`, `os.environ.get(...)`, `os.getenv(...)` of an AIRFLOW_CONN_/AIRFLOW_VAR_ name. */
function detectEnvironmentRead(read: Node, name: LiteralPrefix | undefined): Detection | undefined {
  const kind = (["connection", "variable"] as const).find((k) => name?.text.startsWith(ENV_PREFIXES[k]));
  if (!name || !kind) return undefined;
  // Airflow upper-cases ids into env var names; the lower-cased rest is the id to look up instead.
  const id =
    (name.complete && name.text.slice(ENV_PREFIXES[kind].length).toLowerCase()) ||
    (kind === "connection" ? "<conn_id>" : "<key>");
  const variable = name.complete ? name.text : `${name.text}...`;
  const instead =
    kind === "connection"
      ? `BaseHook.get_connection("${id}") inside the task, ${orTemplate(`{{ conn.${id}.host }}`)}`
      : `Variable.get("${id}") inside the task, ${orTemplate(`{{ var.value.${id} }}`)}`;
  return {
    // Read from the environment, not the configured backend: no backend call.
    at: read,
    rule: "AS004",
    message:
      `${callText(read)} reads the secret environment variable ${variable} at import time, ` +
      `bypassing the configured secrets backend; look it up with ${instead}`,
  };
}

/** The literal `conn_id=` / `*_conn_id=` a hook is built with, if any. */
function hookConnId(call: Node): string | undefined {
  const keyword = namedChildren(call.childForFieldName("arguments")).find((arg) => {
    const name = arg.type === "keyword_argument" ? (arg.childForFieldName("name")?.text ?? "") : "";
    return name === "conn_id" || name.endsWith("_conn_id");
  });
  const literal = literalPrefix(keyword?.childForFieldName("value") ?? null);
  return literal?.complete ? literal.text : undefined;
}

function orTemplate(template: string): string {
  return `or use a Jinja template such as ${template}`;
}

/** The literal first argument (or `key=` / `conn_id=`) of a lookup; for f-strings, the text before `{`. */
function lookupKey(call: Node): LiteralPrefix | undefined {
  const args = namedChildren(call.childForFieldName("arguments"));
  const keyword = args.find(
    (arg) => arg.type === "keyword_argument" && KEY_KEYWORDS.has(arg.childForFieldName("name")?.text ?? ""),
  );
  const positional = args.find(
    (arg) => !["keyword_argument", "list_splat", "dictionary_splat"].includes(arg.type),
  );
  return literalPrefix(keyword?.childForFieldName("value") ?? positional ?? null);
}

function calleeText(call: Node): string {
  return call.childForFieldName("function")?.text ?? "";
}

/** The call as written when it fits on one line of a message, otherwise its callee with `(...)`. */
function callText(node: Node): string {
  const text = node.text;
  if (text.length <= 80 && !text.includes("\n")) return text;
  const head = node.type === "call" ? calleeText(node) : (node.childForFieldName("value")?.text ?? "");
  return node.type === "call" ? `${head}(...)` : `${head}[...]`;
}
