/** Expands the command line's paths into the Python files to lint. */
import { promises as fs } from "fs";
import * as path from "path";

/** Directories that never hold DAGs: bytecode caches, VCS metadata and npm packages. */
const SKIPPED_DIRECTORIES = new Set(["__pycache__", ".git", "node_modules"]);

export interface DagFiles {
  files: string[];
  /** Paths that could not be read, with the reason. */
  errors: string[];
}

/**
 * Files are taken as given (whatever their extension); directories are searched recursively for
 * `*.py`, in sorted order. Symlinked directories are not followed, so link cycles cannot loop.
 */
export async function findDagFiles(paths: readonly string[]): Promise<DagFiles> {
  const found: DagFiles = { files: [], errors: [] };
  for (const given of paths) {
    try {
      const stats = await fs.stat(given);
      if (stats.isDirectory()) await collectPythonFiles(given, found);
      else found.files.push(given);
    } catch (error) {
      found.errors.push(`${given}: ${describeError(error)}`);
    }
  }
  return { files: [...new Set(found.files)], errors: found.errors };
}

async function collectPythonFiles(directory: string, found: DagFiles): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(directory, { withFileTypes: true });
  } catch (error) {
    found.errors.push(`${directory}: ${describeError(error)}`);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const entryPath = path.join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) await collectPythonFiles(entryPath, found);
    } else if (entry.name.endsWith(".py") && (entry.isFile() || (await isFileBehindLink(entryPath)))) {
      found.files.push(entryPath);
    }
  }
}

async function isFileBehindLink(linkPath: string): Promise<boolean> {
  return (await fs.stat(linkPath).catch(() => undefined))?.isFile() ?? false;
}

export function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return "no such file or directory";
  if (code === "EACCES") return "permission denied";
  return error instanceof Error ? error.message : String(error);
}
