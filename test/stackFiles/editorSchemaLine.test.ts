/**
 * Every shipped stack file opens with the yaml-language-server line, pointing at the published JSON
 * Schema by a path that exists from where the file sits, so an editor gives completion, hover docs
 * and errors as soon as it is opened.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO, SHIPPED_STACK_FILES } from "../support/shippedStacks";

const SHIPPED = SHIPPED_STACK_FILES.map((f) => path.join(REPO, f));

test("there are shipped stack files", () => {
  expect(SHIPPED.length).toBeGreaterThanOrEqual(5);
});

test.each(SHIPPED)("%s names the schema on its first line", (file) => {
  const first = fs.readFileSync(file, "utf8").split("\n")[0];
  const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
  expect(match).not.toBeNull();
  expect(path.resolve(path.dirname(file), match![1])).toBe(path.join(REPO, "schema/stack.schema.json"));
});
