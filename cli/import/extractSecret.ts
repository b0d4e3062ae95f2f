/**
 * The extractor the generated import script runs, bundled into one plain Node.js file beside the
 * script: `node extract-secret.js EXPORT_FILE LOCATOR_JSON` prints one secret value on stdout, for
 * `pulumi config set --secret` to read on stdin. The value is never an argument of any command.
 * A newline follows the value because `pulumi config set` removes exactly one trailing newline.
 */
import { locateSecret, readExportFile, SecretLocator } from "./exportFile";

export function extractSecret(argv: readonly string[]): { code: number; out?: string; error?: string } {
  if (argv.length !== 2) return { code: 2, error: "usage: extract-secret EXPORT_FILE LOCATOR_JSON" };
  try {
    const locator = JSON.parse(argv[1]) as SecretLocator;
    return { code: 0, out: `${locateSecret(readExportFile(argv[0]), locator)}\n` };
  } catch (error) {
    // Messages name files, ids and fields only; values are never part of them.
    return { code: 1, error: `extract-secret: ${(error as Error).message}` };
  }
}

if (require.main === module) {
  const result = extractSecret(process.argv.slice(2));
  if (result.out !== undefined) process.stdout.write(result.out);
  if (result.error !== undefined) process.stderr.write(`${result.error}\n`);
  process.exitCode = result.code;
}
