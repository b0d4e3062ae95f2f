/** The stack files the package ships (`stacks/`, `stacks/examples/`), as repository-relative paths. */
import * as fs from "fs";
import * as path from "path";

export const REPO = path.resolve(__dirname, "../..");

export const SHIPPED_STACK_FILES: readonly string[] = ["stacks", "stacks/examples"].flatMap((dir) =>
  fs
    .readdirSync(path.join(REPO, dir))
    .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
    .sort()
    .map((f) => `${dir}/${f}`),
);
