/**
 * Decides what an import adds to a stack file: each exported connection and variable becomes a
 * declaration in the stack-file shape, or is refused with the contract's reasons. Ids the backend
 * cannot store get a rename the contract accepts for that backend (checked with the same
 * validation synth runs), with the DAG lines that use the old id. Secret fields become `secure:`
 * placeholders, each with the path the generated script sets and where its value is in the export.
 */
import { AIRFLOW_CONNECTION_FIELDS, Problem, Problems, validatePlan } from "../../components/airflow";
import { SECRET_EXTRA_KEY } from "../synth/stackFileSecrets";
import { DagReference, referencesTo } from "./dagReferences";
import { ExportFile, ExportedFields, SecretLocator, isPlainObject } from "./exportFile";
import { StackTarget, configKey } from "./stackTarget";

/** What a `secure:` placeholder says until the generated script replaces it with real ciphertext. */
export const IMPORT_PLACEHOLDER = "v1:IMPORT:run-the-generated-set-secrets-script";

export interface ImportOptions {
  /** Variable keys whose values are secrets (besides keys that look secret). */
  secretVariables: ReadonlySet<string>;
  allVariablesSecret: boolean;
  /** Extra names to treat as secret besides the secret-looking ones. */
  secretExtras: ReadonlySet<string>;
  /** Import refused ids under their suggested renames instead of leaving them out. */
  acceptRenames: boolean;
  references: readonly DagReference[];
}

export interface SecretSetting {
  /** `pulumi config set --path` key, e.g. `airflow-secrets:connections[3].password`. */
  configPath: string;
  file: string;
  locator: SecretLocator;
}

export interface ImportedItem {
  kind: "connection" | "variable";
  id: string;
  /** Set when the item is imported under a suggested rename. */
  renamedFrom?: string;
  /** For a renamed item: the DAG lines that still name the old id. */
  references?: string[];
  file: string;
  /** The declaration as written to the stack file (secrets as `secure:` placeholders). */
  declaration: Record<string, unknown>;
  /** A comment written above it (a variable's description, which secrets backends do not store). */
  comment?: string;
  secrets: SecretSetting[];
}

export interface RefusedItem {
  kind: "connection" | "variable";
  id: string;
  file: string;
  /** The contract's rules, as `field: rule`. */
  reasons: string[];
  /** For ids the backend cannot store: an id it can, checked by the contract. */
  rename?: string;
  /** DAG lines (`file:line`) that name the id. */
  references: string[];
}

export interface SkippedItem {
  kind: "connection" | "variable";
  id: string;
  file: string;
  reason: string;
}

export interface ImportPlan {
  imported: ImportedItem[];
  refused: RefusedItem[];
  skipped: SkippedItem[];
}

interface Candidate {
  kind: "connection" | "variable";
  id: string;
  file: string;
  /** Plain declaration with real values, for validation only (never printed). */
  plain: Record<string, unknown>;
  renamedFrom?: string;
  /** Kept as a YAML comment above the declaration (what the store cannot hold). */
  comment?: string;
}

/** Replaces `secure:` entries of declarations already in the stack file, as synth does offline. */
function withoutSecure(value: unknown): unknown {
  if (isPlainObject(value) && Object.keys(value).length === 1 && "secure" in value) return "[secret]";
  if (Array.isArray(value)) return value.map(withoutSecure);
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecure(v)]));
  return value;
}

const idField = (kind: Candidate["kind"]) => (kind === "connection" ? "conn_id" : "key");
const listName = (kind: Candidate["kind"]) => (kind === "connection" ? "connections" : "variables");

/** The labels the contract uses for a declaration in problem paths: by id when valid, else by index. */
function labelsOf(kind: Candidate["kind"], id: string, index: number): string[] {
  return [`${listName(kind)}[${id}]`, `${listName(kind)}[${index}]`];
}

function belongsTo(problem: Problem, labels: readonly string[]): boolean {
  return labels.some(
    (l) => problem.path === l || problem.path.startsWith(`${l}.`) || problem.path.startsWith(`${l}[`),
  );
}

/** Runs the contract's full validation (the one synth runs) and returns the problems of each candidate. */
function validate(
  target: StackTarget,
  candidates: readonly Candidate[],
): { byCandidate: Problem[][]; other: Problem[] } {
  const existing = {
    connection: target.connections.map(withoutSecure) as Record<string, unknown>[],
    variable: target.variables.map(withoutSecure) as Record<string, unknown>[],
  };
  const lists = { connection: [...existing.connection], variable: [...existing.variable] };
  const indices = candidates.map((c) => lists[c.kind].push(c.plain) - 1);
  const problems = new Problems();
  validatePlan(
    {
      backend: target.kind,
      environment: target.environment,
      airflow: target.airflow,
      layout: target.layout,
      declarations: { connections: lists.connection as never, variables: lists.variable as never },
    },
    problems,
  );
  const byCandidate = candidates.map(() => [] as Problem[]);
  const other: Problem[] = [];
  for (const problem of problems.list) {
    const owner = candidates.findIndex((c, i) => belongsTo(problem, labelsOf(c.kind, c.id, indices[i])));
    if (owner >= 0) byCandidate[owner].push(problem);
    else other.push(problem);
  }
  return { byCandidate, other };
}

const isIdProblem = (candidate: Candidate, problem: Problem) =>
  problem.path.endsWith(`.${idField(candidate.kind)}`);

/** Renames to try, most similar first: separators the stores accept, lower case, numbered, shortened. */
export function* renameCandidates(id: string): Generator<string> {
  const tidy = (s: string) => s.replace(/([_-])[_-]+/g, "$1").replace(/^[_-]+|[_-]+$/g, "");
  const bases = [
    ...new Set(
      [
        tidy(id.replace(/[^A-Za-z0-9_]+/g, "_")),
        tidy(id.replace(/[^A-Za-z0-9-]+/g, "-")),
        tidy(id.replace(/[^A-Za-z0-9]+/g, "_")).toLowerCase(),
        tidy(id.replace(/[^A-Za-z0-9]+/g, "-")).toLowerCase(),
      ].map((s) => s || "imported"),
    ),
  ];
  for (const length of [Infinity, 200, 120, 100, 64, 48, 32, 24, 16]) {
    for (const full of bases) {
      const base = tidy(full.slice(0, length)) || "imported";
      yield base;
      for (let n = 2; n <= 9; n++) {
        yield `${tidy(base.slice(0, length - 2))}_${n}`;
        yield `${tidy(base.slice(0, length - 2))}-${n}`;
      }
    }
  }
}

/** Pulumi's property path syntax (`PropertyPath.String` in pulumi/pulumi sdk/go/common/resource/properties_path.go). */
export function pulumiPath(root: string, segments: ReadonlyArray<string | number>): string {
  return (
    root +
    segments
      .map((s) =>
        typeof s === "number"
          ? `[${s}]`
          : /^[A-Za-z0-9_]+$/.test(s)
            ? `.${s}`
            : `["${s.replace(/"/g, '\\"')}"]`,
      )
      .join("")
  );
}

function connectionCandidate(id: string, file: string, fields: ExportedFields): Candidate {
  const plain: Record<string, unknown> = { conn_id: id };
  for (const key of AIRFLOW_CONNECTION_FIELDS) if (fields[key] !== undefined) plain[key] = fields[key];
  return { kind: "connection", id, file, plain };
}

/** String leaves under a secret extra, with their paths; non-string scalars are reported separately. */
function leaves(
  value: unknown,
  at: Array<string | number>,
): { strings: Array<Array<string | number>>; scalars: string[] } {
  if (typeof value === "string") return { strings: [at], scalars: [] };
  const children: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : isPlainObject(value)
      ? Object.entries(value)
      : [];
  if (children.length === 0)
    return { strings: [], scalars: value === null || typeof value !== "object" ? [at.join(".")] : [] };
  const out = { strings: [] as Array<Array<string | number>>, scalars: [] as string[] };
  for (const [key, child] of children) {
    const found = leaves(child, [...at, key]);
    out.strings.push(...found.strings);
    out.scalars.push(...found.scalars);
  }
  return out;
}

function setIn(target: Record<string, unknown>, path: ReadonlyArray<string | number>, value: unknown): void {
  let node: Record<string | number, unknown> = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
}

const placeholder = () => ({ secure: IMPORT_PLACEHOLDER });

/** The declaration to write, with secrets as placeholders, and the settings the script makes. */
function declare(
  candidate: Candidate,
  index: number,
  target: StackTarget,
  options: ImportOptions,
): { declaration: Record<string, unknown>; secrets: SecretSetting[]; problem?: string } {
  const declaration = structuredClone(candidate.plain);
  const secrets: SecretSetting[] = [];
  const root = `${configKey(listName(candidate.kind))}[${index}]`;
  const originalId = candidate.renamedFrom ?? candidate.id;
  const locator = (field: SecretLocator["field"], path?: Array<string | number>): SecretLocator => ({
    kind: candidate.kind,
    id: originalId,
    field,
    ...(path ? { path: path.map(String) } : {}),
  });
  if (candidate.kind === "variable") {
    // Production stack files hold every variable value as secure: (values are stored as secrets anyway).
    const secret =
      target.production ||
      options.allVariablesSecret ||
      options.secretVariables.has(originalId) ||
      SECRET_EXTRA_KEY.test(originalId);
    if (secret) {
      declaration.value = placeholder();
      secrets.push({
        configPath: pulumiPath(root, ["value"]),
        file: candidate.file,
        locator: locator("value"),
      });
    }
    return { declaration, secrets };
  }
  if (typeof declaration.password === "string") {
    declaration.password = placeholder();
    secrets.push({
      configPath: pulumiPath(root, ["password"]),
      file: candidate.file,
      locator: locator("password"),
    });
  }
  const extra = declaration.extra;
  // Entries named like a credential at any depth (`extra.headers.Authorization`), and marked names.
  const secretEntries: Array<Array<string | number>> = [];
  const walk = (value: unknown, at: Array<string | number>) => {
    const children: Array<[string | number, unknown]> = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : isPlainObject(value)
        ? Object.entries(value)
        : [];
    for (const [key, child] of children) {
      const named =
        typeof key === "string" &&
        (SECRET_EXTRA_KEY.test(key) || (at.length === 0 && options.secretExtras.has(key)));
      if (named) secretEntries.push([...at, key]);
      else walk(child, [...at, key]);
    }
  };
  walk(extra, []);
  for (const entry of secretEntries) {
    let value: unknown = extra;
    for (const key of entry) value = (value as Record<string | number, unknown>)[key];
    const found = leaves(value, entry);
    if (found.scalars.length > 0 && target.production) {
      return {
        declaration,
        secrets,
        problem:
          `extra.${found.scalars[0]} is not a string under a secret-looking name: a production stack file must hold it ` +
          `as secure:, and secure: values are strings, so Airflow would read a different type`,
      };
    }
    for (const path of found.strings) {
      setIn(extra as Record<string, unknown>, path, placeholder());
      secrets.push({
        configPath: pulumiPath(root, ["extra", ...path]),
        file: candidate.file,
        locator: locator("extra", path),
      });
    }
  }
  return { declaration, secrets };
}

export function planImport(
  target: StackTarget,
  exports: readonly ExportFile[],
  options: ImportOptions,
): ImportPlan {
  const plan: ImportPlan = { imported: [], refused: [], skipped: [] };
  const declared = {
    connection: new Set(target.connections.map((c) => String(c.conn_id))),
    variable: new Set(target.variables.map((v) => String(v.key))),
  };
  const seen = new Map<string, string>();
  const renamedReferences = new Map<string, string[]>();
  const candidates: Candidate[] = [];
  const admit = (kind: Candidate["kind"], id: string, file: string, make: () => Candidate | undefined) => {
    const key = `${kind}:${id}`;
    if (declared[kind].has(id)) {
      plan.skipped.push({ kind, id, file, reason: "already declared in the stack file (left as it is)" });
    } else if (seen.has(key)) {
      plan.skipped.push({
        kind,
        id,
        file,
        reason: `also exported in ${seen.get(key)}; the first one is imported`,
      });
    } else {
      seen.set(key, file);
      const candidate = make();
      if (candidate) candidates.push(candidate);
    }
  };
  for (const exported of exports) {
    for (const conn of exported.connections) {
      admit("connection", conn.conn_id, conn.file, () => {
        if (conn.fields) return connectionCandidate(conn.conn_id, conn.file, conn.fields);
        plan.refused.push({
          kind: "connection",
          id: conn.conn_id,
          file: conn.file,
          reasons: [conn.problem ?? "unreadable"],
          references: referencesTo(options.references, "connection", conn.conn_id),
        });
        return undefined;
      });
    }
    for (const variable of exported.variables) {
      admit("variable", variable.key, variable.file, () => ({
        kind: "variable",
        id: variable.key,
        file: variable.file,
        plain: { key: variable.key, value: variable.value },
        // Secrets backends store a variable's value alone: the description stays as a comment.
        ...(variable.description !== undefined ? { comment: `description: ${variable.description}` } : {}),
      }));
    }
  }

  const baseline = validate(target, []).other;
  if (baseline.length > 0) {
    throw new Error(
      `the stack file does not pass validation before the import:\n${baseline.map((p) => `  - ${p.path}: ${p.rule}`).join("\n")}`,
    );
  }

  // Refuse what the contract refuses until the rest validates together (a refusal can end a collision).
  let accepted = candidates;
  const refusals: Array<{ candidate: Candidate; problems: Problem[] }> = [];
  for (;;) {
    const { byCandidate } = validate(target, accepted);
    if (byCandidate.every((p) => p.length === 0)) break;
    const keep: Candidate[] = [];
    accepted.forEach((candidate, i) => {
      if (byCandidate[i].length === 0) keep.push(candidate);
      else refusals.push({ candidate, problems: byCandidate[i] });
    });
    accepted = keep;
  }

  // A rename must pass the contract's id rules beside everything accepted and every other exported id.
  const reserved = new Set(candidates.map((c) => `${c.kind}:${c.id}`));
  for (const { candidate, problems } of refusals) {
    const references = referencesTo(options.references, candidate.kind, candidate.id);
    const reasons = problems.map((p) => `${p.path}: ${p.rule}`);
    const onlyId = problems.every((p) => isIdProblem(candidate, p));
    let rename: string | undefined;
    if (problems.some((p) => isIdProblem(candidate, p))) {
      for (const name of renameCandidates(candidate.id)) {
        if (reserved.has(`${candidate.kind}:${name}`) || declared[candidate.kind].has(name)) continue;
        const renamed: Candidate = {
          ...candidate,
          id: name,
          renamedFrom: candidate.id,
          plain: { ...candidate.plain, [idField(candidate.kind)]: name },
        };
        const { byCandidate } = validate(target, [...accepted, renamed]);
        const othersClean = byCandidate.slice(0, -1).every((p) => p.length === 0);
        const own = byCandidate[byCandidate.length - 1];
        if (othersClean && own.every((p) => !isIdProblem(renamed, p))) {
          rename = name;
          reserved.add(`${candidate.kind}:${name}`);
          if (options.acceptRenames && onlyId) {
            accepted = [...accepted, renamed];
            renamedReferences.set(`${candidate.kind}:${name}`, references);
          }
          break;
        }
      }
    }
    if (rename !== undefined && options.acceptRenames && onlyId) continue;
    plan.refused.push({
      kind: candidate.kind,
      id: candidate.id,
      file: candidate.file,
      reasons,
      ...(rename !== undefined ? { rename } : {}),
      references,
    });
  }

  const next = { connection: target.connections.length, variable: target.variables.length };
  for (const candidate of accepted) {
    const { declaration, secrets, problem } = declare(candidate, next[candidate.kind], target, options);
    if (problem) {
      plan.refused.push({
        kind: candidate.kind,
        id: candidate.renamedFrom ?? candidate.id,
        file: candidate.file,
        reasons: [`${listName(candidate.kind)}[${candidate.id}].${problem}`],
        references: referencesTo(options.references, candidate.kind, candidate.renamedFrom ?? candidate.id),
      });
      continue;
    }
    next[candidate.kind]++;
    plan.imported.push({
      kind: candidate.kind,
      id: candidate.id,
      ...(candidate.renamedFrom !== undefined
        ? {
            renamedFrom: candidate.renamedFrom,
            references: renamedReferences.get(`${candidate.kind}:${candidate.id}`) ?? [],
          }
        : {}),
      file: candidate.file,
      declaration,
      ...(candidate.comment !== undefined ? { comment: candidate.comment } : {}),
      secrets,
    });
  }
  return plan;
}
