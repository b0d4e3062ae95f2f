/** What the linter reports and how it is printed. */

export type RuleId = "AS001" | "AS002" | "AS003" | "AS004" | "AS900" | "AS901";

export interface Finding {
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column, counted in Unicode characters (a tab counts as one). */
  column: number;
  rule: RuleId;
  message: string;
}

/** By file, then position, then rule: the order findings are printed in. */
export function compareFindings(a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.column - b.column || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);
}

export function formatText(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.rule} ${f.message}\n`).join("");
}

export function formatJson(findings: readonly Finding[]): string {
  const records = findings.map(({ file, line, column, rule, message }) => ({
    file,
    line,
    column,
    rule,
    message,
  }));
  return `${JSON.stringify(records, null, 2)}\n`;
}
