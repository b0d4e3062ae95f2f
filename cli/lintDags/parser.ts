/** Loads tree-sitter's Python grammar once per process and parses source text with it. */
import { promises as fs } from "fs";
import { Language, Parser, Tree } from "web-tree-sitter";

let parserLoading: Promise<Parser> | undefined;

async function loadPythonParser(): Promise<Parser> {
  await Parser.init();
  // Resolved through Node's module lookup so the linter works from any working directory.
  const grammarPath = require.resolve("tree-sitter-python/tree-sitter-python.wasm");
  let python: Language;
  try {
    // Bytes, not a path: given a path, web-tree-sitter reads it with a dynamic import() that
    // VM-sandboxed runtimes such as jest reject. The copy makes an array of this realm.
    python = await Language.load(new Uint8Array(await fs.readFile(grammarPath)));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot load the Python grammar ${grammarPath} into web-tree-sitter: ${reason}`);
  }
  const parser = new Parser();
  parser.setLanguage(python);
  return parser;
}

function pythonParser(): Promise<Parser> {
  parserLoading ??= loadPythonParser().catch((error: unknown) => {
    parserLoading = undefined; // a failed load is retried by the next caller instead of being cached
    throw error;
  });
  return parserLoading;
}

/** Parses Python source; the caller owns the tree and must `delete()` it (it lives in wasm memory). */
export async function parsePython(source: string): Promise<Tree> {
  const tree = (await pythonParser()).parse(source);
  if (!tree) throw new Error("tree-sitter returned no tree for the Python source");
  return tree;
}
