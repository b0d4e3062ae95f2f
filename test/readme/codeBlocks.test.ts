/**
 * Every ```ts block of the READMEs compiles (strict) against the package's own sources, imported the
 * way a user writes them (`airflow-secrets`, `airflow-secrets/aws`…): an example that drifts from the
 * API fails here with the README's file:line, not in a user's editor.
 *
 * The blocks are compiled as files inside the repository (`<repo>/.readme-blocks/`, so `@pulumi/*`
 * resolve from its node_modules) that exist only in the compiler host: nothing is written, so the test
 * runs the same in a read-only or `chmod 700` checkout and leaves nothing behind.
 *
 * The optional cloud SDKs are compiled as untyped stubs: their declarations are about 5,000 files
 * (a minute of a loaded CI core) and what the blocks are checked against is this package's API —
 * arguments, settings types, exports — which the stubs leave intact. A provider call in an example
 * (`new aws.Provider(...)`) is therefore not checked; `@pulumi/pulumi` and `@pulumi/kubernetes` are real.
 */
import * as fs from "fs";
import * as path from "path";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "../..");
const BLOCKS_DIR = path.join(ROOT, ".readme-blocks");
/** The optional peer SDKs, each replaced by an untyped module (see above). */
const STUBBED_SDKS = ["@pulumi/aws", "@pulumi/azure-native", "@pulumi/gcp", "@pulumi/vault"];
const SDK_STUB = path.join(BLOCKS_DIR, "cloud-sdk-stub.d.ts");
const SDK_STUB_SOURCE = "declare const sdk: any;\nexport = sdk;\n";

/** A block the README marks `<!-- not compiled: why -->` on the line before its fence. */
const NOT_COMPILED = /^<!--\s*not compiled:\s*(\S.*?)\s*-->$/;
/** Deliberately partial blocks must stay the exception. */
const MAX_NOT_COMPILED = 2;

interface CodeBlock {
  /** The README, relative to the repository. */
  readme: string;
  /** Line of the README holding the block's first line of code (1-based). */
  firstLine: number;
  code: string;
  /** Why the block is not compiled, when the README says so. */
  notCompiled?: string;
  /** The file the block is compiled as. */
  file: string;
}

function readmes(): string[] {
  const components = fs
    .readdirSync(path.join(ROOT, "components"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join("components", entry.name, "README.md"))
    .filter((file) => fs.existsSync(path.join(ROOT, file)));
  return ["README.md", ...components.sort()];
}

function codeBlocks(readme: string, text: string): CodeBlock[] {
  const lines = text.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]);
    if (fence === null) continue;
    const [, indent, marker, language] = fence;
    let end = i + 1;
    while (end < lines.length && !lines[end].trimStart().startsWith(marker)) end++;
    if (language === "ts" || language === "typescript") {
      let before = i - 1;
      while (before >= 0 && lines[before].trim() === "") before--;
      const reason = before >= 0 ? NOT_COMPILED.exec(lines[before].trim())?.[1] : undefined;
      const name = `${readme.replace(/[/\\.]/g, "_")}_${i + 2}.ts`;
      blocks.push({
        readme,
        firstLine: i + 2,
        code: lines
          .slice(i + 1, end)
          .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
          .join("\n"),
        notCompiled: reason,
        file: path.join(BLOCKS_DIR, name),
      });
    }
    i = end;
  }
  return blocks;
}

/** `airflow-secrets` and every `airflow-secrets/<subpath>` of package.json, mapped to the sources. */
function packagePaths(): Record<string, string[]> {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    name: string;
    exports: Record<string, string | { default: string }>;
  };
  const paths: Record<string, string[]> = {};
  for (const [key, target] of Object.entries(manifest.exports)) {
    if (key === "./package.json") continue;
    const compiled = typeof target === "string" ? target : target.default;
    const specifier = key === "." ? manifest.name : `${manifest.name}/${key.slice(2)}`;
    paths[specifier] = [path.join(ROOT, compiled.replace(/^\.\/dist\//, "").replace(/\.js$/, ".ts"))];
  }
  return paths;
}

function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), (file) => ts.sys.readFile(file));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  return {
    ...options,
    strict: true,
    noEmit: true,
    // An example may name a value only to show it; unused names are a linter's concern.
    noUnusedLocals: false,
    noUnusedParameters: false,
    // Each block is its own module, whether or not it imports anything.
    moduleDetection: ts.ModuleDetectionKind.Force,
    types: ["node"],
    baseUrl: ROOT,
    paths: {
      ...packagePaths(),
      ...Object.fromEntries(
        STUBBED_SDKS.flatMap((sdk) => [
          [sdk, [SDK_STUB]],
          [`${sdk}/*`, [SDK_STUB]],
        ]),
      ),
    },
  };
}

/**
 * Compiles the blocks together (one program, so the library's sources are loaded once) and returns
 * each block's errors as `README:line: TScode: message`.
 */
function compileBlocks(blocks: readonly CodeBlock[]): Map<CodeBlock, string[]> {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options, true);
  const byFile = new Map(blocks.map((b) => [b.file, b]));
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (file, languageVersion, onError, shouldCreate) => {
    if (path.resolve(file) === SDK_STUB)
      return ts.createSourceFile(file, SDK_STUB_SOURCE, languageVersion, true);
    const block = byFile.get(path.resolve(file));
    return block !== undefined
      ? ts.createSourceFile(file, block.code, languageVersion, true)
      : getSourceFile(file, languageVersion, onError, shouldCreate);
  };
  host.fileExists = (file) =>
    byFile.has(path.resolve(file)) || path.resolve(file) === SDK_STUB || fileExists(file);
  host.readFile = (file) =>
    path.resolve(file) === SDK_STUB
      ? SDK_STUB_SOURCE
      : (byFile.get(path.resolve(file))?.code ?? readFile(file));
  const program = ts.createProgram([...byFile.keys()], options, host);
  const errors = new Map<CodeBlock, string[]>();
  for (const block of blocks) {
    const source = program.getSourceFile(block.file)!;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    errors.set(
      block,
      diagnostics.map((d) => {
        const line = d.start !== undefined ? source.getLineAndCharacterOfPosition(d.start).line : 0;
        return `${block.readme}:${block.firstLine + line}: TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      }),
    );
  }
  return errors;
}

const all = readmes().flatMap((readme) =>
  codeBlocks(readme, fs.readFileSync(path.join(ROOT, readme), "utf8")),
);

const example = all.find(
  (b) => b.readme === "README.md" && b.code.includes("new AirflowSecretsEnvironment("),
);

/** The AWS README's backend-alone example: its settings are typed through the stubbed SDK too. */
const awsAlone = all.find(
  (b) => b.readme === "components/aws/README.md" && b.code.includes("resolveBackendOrThrow("),
);

/** `block` with `from` replaced by `to`: a mistake a user could make. */
function variant(block: CodeBlock | undefined, name: string, from: string | RegExp, to: string): CodeBlock {
  const code = block?.code.replace(from, to) ?? "";
  return { ...block!, code, file: block!.file.replace(/\.ts$/, `_${name}.ts`) };
}

const variants = example && {
  misspelt: variant(example, "misspelt", "region:", "regoin:"),
  otherBackend: variant(example, "otherBackend", /backend: "aws"/, 'backend: "gcp"'),
  noDeployerRoles: variant(example, "noDeployerRoles", /\n\s*deployerRoleArns: [^\n]*/, ""),
};
const awsAloneMisspelt = awsAlone && variant(awsAlone, "misspelt", "region:", "regoin:");

let errors: Map<CodeBlock, string[]>;

beforeAll(() => {
  const compiled = all.filter((b) => b.notCompiled === undefined);
  errors = compileBlocks([
    ...compiled,
    ...(variants ? Object.values(variants) : []),
    ...(awsAloneMisspelt ? [awsAloneMisspelt] : []),
  ]);
}, 60_000);

describe("README code blocks", () => {
  it("are found, and few are marked not compiled, each saying why", () => {
    expect(all.length).toBeGreaterThan(0);
    const skipped = all.filter((b) => b.notCompiled !== undefined);
    expect(skipped.length).toBeLessThanOrEqual(MAX_NOT_COMPILED);
    for (const block of skipped) expect(block.notCompiled!.length).toBeGreaterThan(10);
  });

  it("import the package as a user does, never by a path into the repository", () => {
    const specifiers = all.flatMap((b) =>
      [...b.code.matchAll(/\bfrom\s+"([^"]+)"|\bimport\s+"([^"]+)"|require\("([^"]+)"\)/g)].map((m) => ({
        at: `${b.readme}:${b.firstLine}`,
        specifier: m[1] ?? m[2] ?? m[3],
      })),
    );
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter(({ specifier }) => specifier.startsWith("."))).toEqual([]);
  });

  it("compile, strict, against the package's sources", () => {
    const compiled = all.filter((b) => b.notCompiled === undefined);
    expect(compiled.length).toBeGreaterThan(0);
    expect(compiled.flatMap((b) => errors.get(b)!)).toEqual([]);
  });
});

describe("the README's environment example", () => {
  it("is there, and each mistake below changes it", () => {
    expect(example).toBeDefined();
    for (const v of Object.values(variants!)) expect(v.code).not.toBe(example!.code);
  });

  // The constructor takes the typed union alone (untyped settings go through `fromConfig`).
  it("does not compile with a misspelt backend setting", () => {
    expect(errors.get(variants!.misspelt)!.join("\n")).toMatch(/regoin/);
  });

  it("does not compile with the settings of another backend", () => {
    expect(errors.get(variants!.otherBackend)!.length).toBeGreaterThan(0);
  });

  // `AwsEnvironmentSettings` states the schema's refinement as a type: Secrets Manager needs it.
  it("does not compile without aws deployerRoleArns (required with Secrets Manager)", () => {
    expect(errors.get(variants!.noDeployerRoles)!.join("\n")).toMatch(/deployerRoleArns/);
  });
});

describe("the AWS README's example of the backend alone", () => {
  it("does not compile with a misspelt setting (the stubbed SDK leaves the settings' type intact)", () => {
    expect(awsAloneMisspelt).toBeDefined();
    expect(awsAloneMisspelt!.code).not.toBe(awsAlone!.code);
    expect(errors.get(awsAloneMisspelt!)!.join("\n")).toMatch(/regoin/);
  });
});
