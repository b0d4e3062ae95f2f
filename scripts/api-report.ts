/**
 * The package's public API report: for each subpath in package.json "exports", every exported symbol
 * with its kind and its declared signature (types as written, comments and bodies left out), sorted,
 * written to api/airflow-secrets.api.md. A change to the surface is then a visible diff in review, and
 * test/package/apiReport.test.ts fails when the checked-in report is stale.
 *
 * Built on the TypeScript compiler API rather than API Extractor: it reads the sources directly (no
 * build of dist/ first, no extra dependency to install offline) and runs in seconds.
 *
 *   npm run api-report            regenerate the report
 */
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import ts from "typescript";

export const ROOT = path.resolve(__dirname, "..");
export const REPORT_PATH = path.join(ROOT, "api", "airflow-secrets.api.md");

export type SymbolKind = "class" | "interface" | "type" | "function" | "const" | "enum" | "namespace";

export interface ExportedSymbol {
  /** The import specifier a user writes: `airflow-secrets` or `airflow-secrets/aws`. */
  subpath: string;
  name: string;
  kind: SymbolKind;
  /** Only a type: `import type` is all a user can do with it. */
  typeOnly: boolean;
  /** The declarations as written, without comments or bodies. */
  signature: string;
  /** Files (relative to the repository) that declare it. */
  declaredIn: string[];
  /** The name in the source, when it is exported under another (`export { backend as awsBackend }`). */
  declaredAs?: string;
}

export interface EntryPoint {
  subpath: string;
  /** The TypeScript source behind the compiled target, relative to the repository. */
  source: string;
}

export interface ApiReport {
  entryPoints: EntryPoint[];
  symbols: ExportedSymbol[];
  /** Entry files that re-export with `export * from` (the surface then grows unseen). */
  exportStars: Array<{ subpath: string; from: string }>;
  /** Types named in an exported signature that no subpath exports (a user cannot name them). */
  unexportedReferences: Array<{ subpath: string; name: string; referencedBy: string[] }>;
  text: string;
}

type ExportTarget = string | { types?: string; default: string };

/** Every subpath of package.json "exports" with the TypeScript source of its compiled target. */
export function entryPoints(root = ROOT): EntryPoint[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
    name: string;
    exports: Record<string, ExportTarget>;
  };
  return Object.entries(manifest.exports)
    .filter(([key]) => key !== "./package.json")
    .map(([key, target]) => {
      const compiled = typeof target === "string" ? target : target.default;
      return {
        subpath: key === "." ? manifest.name : `${manifest.name}/${key.replace(/^\.\//, "")}`,
        source: compiled.replace(/^\.\/dist\//, "").replace(/\.js$/, ".ts"),
      };
    });
}

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

function compilerOptions(root: string): ts.CompilerOptions {
  const configPath = path.join(root, "tsconfig.json");
  const config = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  return { ...parsed.options, noEmit: true };
}

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

function relative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join("/");
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

/** Drops `export`/`declare`/`default` so every entry reads as a plain declaration. */
function publicModifiers(node: ts.Node): ts.ModifierLike[] | undefined {
  if (!ts.canHaveModifiers(node)) return undefined;
  const kept = (ts.getModifiers(node) ?? []).filter(
    (m) =>
      m.kind !== ts.SyntaxKind.ExportKeyword &&
      m.kind !== ts.SyntaxKind.DeclareKeyword &&
      m.kind !== ts.SyntaxKind.DefaultKeyword,
  );
  return kept.length > 0 ? kept : undefined;
}

/**
 * Parameters as a caller sees them: a default value is an implementation detail, so `x = 1` reads
 * `x?: number` (the type as written, or as the compiler infers it from the default).
 */
function callerParameters(
  parameters: ts.NodeArray<ts.ParameterDeclaration>,
  checker: ts.TypeChecker,
): ts.ParameterDeclaration[] {
  // `readonly`/`public` on a constructor parameter declare a member (listed with the members).
  return parameters.map((p) =>
    p.initializer === undefined && ts.getModifiers(p) === undefined
      ? p
      : ts.factory.createParameterDeclaration(
          undefined,
          p.dotDotDotToken,
          p.name,
          p.initializer !== undefined ? ts.factory.createToken(ts.SyntaxKind.QuestionToken) : p.questionToken,
          p.type ??
            checker.typeToTypeNode(
              checker.getBaseTypeOfLiteralType(checker.getTypeAtLocation(p)),
              p,
              ts.NodeBuilderFlags.NoTruncation,
            ),
          undefined,
        ),
  );
}

/** One class member as a user of the class sees it, or undefined for private parts. */
function memberSignature(
  member: ts.ClassElement,
  checker: ts.TypeChecker,
  source: ts.SourceFile,
): string | undefined {
  if (hasModifier(member, ts.SyntaxKind.PrivateKeyword)) return undefined;
  if (member.name !== undefined && ts.isPrivateIdentifier(member.name)) return undefined;
  const f = ts.factory;
  let node: ts.Node | undefined;
  if (ts.isConstructorDeclaration(member)) {
    node = f.createConstructorDeclaration(
      publicModifiers(member),
      callerParameters(member.parameters, checker),
      undefined,
    );
  } else if (ts.isPropertyDeclaration(member)) {
    const type =
      member.type ??
      checker.typeToTypeNode(
        checker.getTypeAtLocation(member),
        member,
        ts.NodeBuilderFlags.NoTruncation | ts.NodeBuilderFlags.UseFullyQualifiedType,
      );
    node = f.createPropertyDeclaration(
      publicModifiers(member),
      member.name,
      member.questionToken,
      type,
      undefined,
    );
  } else if (ts.isMethodDeclaration(member)) {
    node = f.createMethodDeclaration(
      publicModifiers(member),
      member.asteriskToken,
      member.name,
      member.questionToken,
      member.typeParameters,
      callerParameters(member.parameters, checker),
      member.type,
      undefined,
    );
  } else if (ts.isGetAccessorDeclaration(member)) {
    node = f.createGetAccessorDeclaration(
      publicModifiers(member),
      member.name,
      member.parameters,
      member.type,
      undefined,
    );
  } else if (ts.isSetAccessorDeclaration(member)) {
    node = f.createSetAccessorDeclaration(publicModifiers(member), member.name, member.parameters, undefined);
  } else if (ts.isIndexSignatureDeclaration(member)) {
    node = member;
  }
  return node === undefined ? undefined : printer.printNode(ts.EmitHint.Unspecified, node, source);
}

function classSignature(node: ts.ClassDeclaration, checker: ts.TypeChecker, source: ts.SourceFile): string {
  const header = printer.printNode(
    ts.EmitHint.Unspecified,
    ts.factory.createClassDeclaration(
      publicModifiers(node),
      node.name,
      node.typeParameters,
      node.heritageClauses,
      [],
    ),
    source,
  );
  const members = node.members
    .map((member) => memberSignature(member, checker, source))
    .filter((line): line is string => line !== undefined)
    .map((line) => `    ${line.replace(/\n/g, "\n    ")}`);
  // Parameter properties (`constructor(readonly x: T)`) are public members as well.
  const constructorProperties = node.members
    .filter(ts.isConstructorDeclaration)
    .flatMap((c) => c.parameters)
    .filter((p) => ts.isParameterPropertyDeclaration(p, p.parent))
    .filter((p) => !hasModifier(p, ts.SyntaxKind.PrivateKeyword))
    .map((p) => `    ${printer.printNode(ts.EmitHint.Unspecified, p, source)};`);
  return `${header.replace(/\{\s*\}$/, "{")}\n${[...constructorProperties, ...members].join("\n")}\n}`;
}

function variableSignature(
  declaration: ts.VariableDeclaration,
  checker: ts.TypeChecker,
  source: ts.SourceFile,
): string {
  const list = declaration.parent;
  const keyword = list.flags & ts.NodeFlags.Const ? "const" : list.flags & ts.NodeFlags.Let ? "let" : "var";
  // A constant without an annotation is shown with the type the compiler gives it.
  const type =
    declaration.type !== undefined
      ? printer.printNode(ts.EmitHint.Unspecified, declaration.type, source)
      : checker.typeToString(
          checker.getTypeAtLocation(declaration.name),
          declaration,
          ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.MultilineObjectLiterals,
        );
  return `${keyword} ${declaration.name.getText(source)}: ${type};`;
}

function declarationSignature(
  declaration: ts.Declaration,
  checker: ts.TypeChecker,
): { kind: SymbolKind; text: string } | undefined {
  const source = declaration.getSourceFile();
  const f = ts.factory;
  if (ts.isClassDeclaration(declaration))
    return { kind: "class", text: classSignature(declaration, checker, source) };
  if (ts.isFunctionDeclaration(declaration)) {
    const header = f.createFunctionDeclaration(
      publicModifiers(declaration),
      declaration.asteriskToken,
      declaration.name,
      declaration.typeParameters,
      callerParameters(declaration.parameters, checker),
      declaration.type,
      undefined,
    );
    return { kind: "function", text: printer.printNode(ts.EmitHint.Unspecified, header, source) };
  }
  if (ts.isVariableDeclaration(declaration))
    return { kind: "const", text: variableSignature(declaration, checker, source) };
  const plain = (kind: SymbolKind) => ({
    kind,
    text: printer.printNode(ts.EmitHint.Unspecified, declaration, source).replace(/^(export |declare )+/, ""),
  });
  if (ts.isInterfaceDeclaration(declaration)) return plain("interface");
  if (ts.isTypeAliasDeclaration(declaration)) return plain("type");
  if (ts.isEnumDeclaration(declaration)) return plain("enum");
  if (ts.isModuleDeclaration(declaration)) return plain("namespace");
  return undefined;
}

/** Names of type references inside a printed signature's declarations (for the unexported check). */
function referencedTypeNames(declarations: readonly ts.Declaration[]): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node, scope: Set<string>) => {
    // Type parameters are not references to anything exported.
    const declaredHere = new Set(scope);
    if (
      "typeParameters" in node &&
      Array.isArray((node as ts.DeclarationWithTypeParameterChildren).typeParameters)
    )
      for (const p of (node as ts.DeclarationWithTypeParameterChildren).typeParameters!)
        declaredHere.add(p.name.text);
    if (ts.isMappedTypeNode(node)) declaredHere.add(node.typeParameter.name.text);
    if (ts.isInferTypeNode(node)) declaredHere.add(node.typeParameter.name.text);
    if (
      ts.isTypeReferenceNode(node) &&
      ts.isIdentifier(node.typeName) &&
      !declaredHere.has(node.typeName.text)
    )
      names.add(node.typeName.text);
    if (ts.isExpressionWithTypeArguments(node) && ts.isIdentifier(node.expression))
      names.add(node.expression.text);
    // `typeof X` names a value the user must be able to see as well.
    if (ts.isTypeQueryNode(node) && ts.isIdentifier(node.exprName)) names.add(node.exprName.text);
    // Bodies and initializers are not part of the surface.
    if (ts.isBlock(node)) return;
    if (
      (ts.isPropertyDeclaration(node) || ts.isVariableDeclaration(node)) &&
      node.initializer !== undefined
    ) {
      if (node.type !== undefined) visit(node.type, declaredHere);
      return;
    }
    if (ts.isClassElement(node) && hasModifier(node, ts.SyntaxKind.PrivateKeyword)) return;
    ts.forEachChild(node, (child) => visit(child, declaredHere));
  };
  for (const d of declarations) visit(d, new Set());
  return names;
}

/** True when `name` is declared by the TypeScript libraries or a dependency, not by this package. */
function declaredOutside(name: string, from: ts.Node, checker: ts.TypeChecker, root: string): boolean {
  const symbols = checker.getSymbolsInScope(
    from,
    ts.SymbolFlags.Type | ts.SymbolFlags.Value | ts.SymbolFlags.Alias,
  );
  const found = symbols.find((s) => s.name === name);
  if (found === undefined) return true;
  const target = found.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(found) : found;
  return (target.declarations ?? []).every((d) => {
    const file = d.getSourceFile().fileName;
    return file.includes("/node_modules/") || !file.startsWith(root);
  });
}

export function buildApiReport(root = ROOT): ApiReport {
  const entries = entryPoints(root);
  // Every source of the package, and none of node_modules: signatures are printed as written, so the
  // cloud SDKs' declarations (tens of thousands of files) are never needed, and loading them takes a minute.
  const files = sourcesUnder(path.join(root, "components"));
  const program = ts.createProgram(files, { ...compilerOptions(root), noResolve: true, types: [] });
  const checker = program.getTypeChecker();
  const symbols: ExportedSymbol[] = [];
  const exportStars: ApiReport["exportStars"] = [];
  const references = new Map<string, { subpath: string; from: ts.Node; by: Set<string> }>();

  for (const entry of entries) {
    const sourceFile = program.getSourceFile(path.join(root, entry.source));
    if (sourceFile === undefined) continue;
    for (const statement of sourceFile.statements) {
      if (
        ts.isExportDeclaration(statement) &&
        statement.exportClause === undefined &&
        statement.moduleSpecifier !== undefined &&
        ts.isStringLiteral(statement.moduleSpecifier)
      )
        exportStars.push({ subpath: entry.subpath, from: statement.moduleSpecifier.text });
    }
    const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
    if (moduleSymbol === undefined) continue;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declarations = (target.declarations ?? []).filter(
        (d) => !ts.isSourceFile(d) && !ts.isExportSpecifier(d),
      );
      const signatures = declarations
        .map((d) => declarationSignature(d, checker))
        .filter((s): s is { kind: SymbolKind; text: string } => s !== undefined);
      const kind = signatures.find((s) => s.kind === "class")?.kind ?? signatures[0]?.kind ?? "const";
      const typeOnly = (target.flags & ts.SymbolFlags.Value) === 0 || isTypeOnlyExport(exported);
      symbols.push({
        subpath: entry.subpath,
        name: exported.name,
        kind,
        typeOnly,
        signature: signatures.map((s) => exportedAs(s.text, target.name, exported.name)).join("\n"),
        declaredIn: [...new Set(declarations.map((d) => relative(root, d.getSourceFile().fileName)))].sort(),
        declaredAs: target.name !== exported.name && target.name !== "default" ? target.name : undefined,
      });
      for (const name of referencedTypeNames(declarations)) {
        const key = `${entry.subpath}\0${name}`;
        const seen = references.get(key) ?? { subpath: entry.subpath, from: declarations[0], by: new Set() };
        seen.by.add(exported.name);
        references.set(key, seen);
      }
    }
  }

  const exportedNames = new Set(symbols.map((s) => s.name));
  const unexportedReferences = [...references.entries()]
    .map(([key, seen]) => ({ name: key.split("\0")[1], ...seen }))
    .filter(({ name }) => !exportedNames.has(name))
    .filter(({ name, from }) => from !== undefined && !declaredOutside(name, from, checker, root))
    .map(({ subpath, name, by }) => ({ subpath, name, referencedBy: [...by].sort() }))
    .sort((a, b) => compare(a.subpath, b.subpath) || compare(a.name, b.name));

  symbols.sort((a, b) => compare(a.subpath, b.subpath) || compare(a.name, b.name) || compare(a.kind, b.kind));
  return {
    entryPoints: entries,
    symbols,
    exportStars,
    unexportedReferences,
    text: render(entries, symbols, exportStars, unexportedReferences),
  };
}

/** Rotator runtime: the code deployed into a cloud function, never part of the Pulumi library's API. */
export const ROTATOR_RUNTIME = /(^|\/)rotator\/|^components\/aws\/rotation\//;
/** Validation helpers (`checkX`, `validateX`) belong to the folders that use them. */
export const VALIDATION_HELPER = /^(check|validate)([A-Z_0-9]|$)/;

export interface SurfaceViolations {
  validationHelpers: string[];
  rotatorRuntime: string[];
  exportStars: string[];
}

/** What the public surface may not contain, each as `subpath: what`. */
export function surfaceViolations(report: ApiReport): SurfaceViolations {
  return {
    validationHelpers: report.symbols
      .filter((s) => VALIDATION_HELPER.test(s.name))
      .map((s) => `${s.subpath}: ${s.name}`),
    rotatorRuntime: report.symbols
      .filter((s) => s.declaredIn.some((file) => ROTATOR_RUNTIME.test(file)))
      .map((s) => `${s.subpath}: ${s.name} (${s.declaredIn.join(", ")})`),
    exportStars: report.exportStars.map((s) => `${s.subpath}: export * from "${s.from}"`),
  };
}

/** `export { backend as awsBackend }`: the signature names what the user imports. */
function exportedAs(signature: string, declared: string, exported: string): string {
  if (declared === exported || declared === "default") return signature;
  return signature.replace(new RegExp(`\\b${declared}\\b`), exported);
}

function isTypeOnlyExport(symbol: ts.Symbol): boolean {
  return (symbol.declarations ?? []).some(
    (d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly),
  );
}

/** Code-unit order, the same on every machine and locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function render(
  entries: readonly EntryPoint[],
  symbols: readonly ExportedSymbol[],
  exportStars: ApiReport["exportStars"],
  unexported: ApiReport["unexportedReferences"],
): string {
  const lines = [
    "# API report: airflow-secrets",
    "",
    "Generated by `npm run api-report` (scripts/api-report.ts) from the sources behind each subpath of",
    'package.json "exports". Do not edit: test/package/apiReport.test.ts fails when it is stale, so every',
    "change to the public surface shows up here as a diff.",
    "",
  ];
  for (const entry of entries) {
    const own = symbols.filter((s) => s.subpath === entry.subpath);
    lines.push(`## ${entry.subpath}`, "", `Source: \`${entry.source}\`. ${own.length} exports.`, "");
    const stars = exportStars.filter((s) => s.subpath === entry.subpath);
    if (stars.length > 0)
      lines.push(
        `Re-exports everything (\`export *\`) from: ${stars.map((s) => `\`${s.from}\``).join(", ")}.`,
        "",
      );
    const missing = unexported.filter((u) => u.subpath === entry.subpath);
    if (missing.length > 0) {
      lines.push("Types its signatures name that no subpath exports:", "");
      for (const m of missing)
        lines.push(`- \`${m.name}\` (in ${m.referencedBy.map((n) => `\`${n}\``).join(", ")})`);
      lines.push("");
    }
    if (own.length === 0) continue;
    lines.push("```ts");
    for (const symbol of own) {
      const typeOnly = symbol.typeOnly && symbol.kind !== "interface" && symbol.kind !== "type";
      const notes = [
        symbol.kind,
        ...(typeOnly ? ["type only"] : []),
        ...(symbol.declaredAs ? [`declared as ${symbol.declaredAs}`] : []),
      ];
      lines.push(`// ${notes.join(", ")}`);
      lines.push(symbol.signature || `${symbol.name}: unknown;`, "");
    }
    if (lines[lines.length - 1] === "") lines.pop();
    lines.push("```", "");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/**
 * The report as checked in: formatted by the repository's Prettier settings, so `prettier --check .`
 * passes. Prettier runs in a child process: its CommonJS entry loads itself by dynamic import, which
 * jest's module runtime refuses.
 */
export function formattedReport(report: ApiReport): string {
  const formatted = spawnSync(
    process.execPath,
    [require.resolve("prettier/bin/prettier.cjs"), "--stdin-filepath", REPORT_PATH],
    { cwd: ROOT, input: report.text, encoding: "utf8" },
  );
  if (formatted.status !== 0) throw new Error(`prettier failed: ${formatted.stderr}`);
  return formatted.stdout;
}

if (require.main === module) {
  const report = buildApiReport();
  fs.mkdirSync(path.dirname(REPORT_PATH), { recursive: true });
  fs.writeFileSync(REPORT_PATH, formattedReport(report));
  process.stdout.write(
    `${relative(ROOT, REPORT_PATH)}: ${report.symbols.length} exports across ${report.entryPoints.length} subpaths\n`,
  );
  const violations = Object.values(surfaceViolations(report)).flat();
  if (violations.length > 0)
    process.stderr.write(
      `not allowed in the public surface (the test fails):\n  ${violations.join("\n  ")}\n`,
    );
}
