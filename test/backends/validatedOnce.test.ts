/**
 * Declarations are checked exactly once per backend that stores them, whatever the backend: the
 * environment's adapter plans them (the contract's `validateDeclarations`), the backend's resolve uses
 * that plan and its component builds from it without checking again. A standby (`mirror:`) stores
 * them too, under its own naming rules, so it plans them once more.
 */
import * as path from "path";
import * as validate from "../../components/airflow/validate";
import { parseSynthArgs, synthFromArgs } from "../../cli/synthCommand";
import { BACKEND_NAMES } from "../../components/registry";
import { readYamlFile } from "../../cli/synth/stackFile";

import { REPO, SHIPPED_STACK_FILES as SHIPPED } from "../support/shippedStacks";

const configOf = (file: string) =>
  (readYamlFile(path.join(REPO, file)) as { config: Record<string, string> }).config;
const backendOf = (file: string) => configOf(file)["airflow-secrets:backend"];
const backendsStoring = (file: string) => (configOf(file)["airflow-secrets:mirror"] !== undefined ? 2 : 1);

test("the shipped stacks cover every backend", () => {
  expect(new Set(SHIPPED.map(backendOf))).toEqual(new Set(BACKEND_NAMES));
});

describe.each(SHIPPED)("%s", (file) => {
  test("synth validates the declarations once", async () => {
    const spy = jest.spyOn(validate, "validateDeclarations");
    try {
      const { result } = await synthFromArgs(parseSynthArgs(["--config-file", path.join(REPO, file)]));
      expect(result.resources.length).toBeGreaterThan(0);
      expect(spy).toHaveBeenCalledTimes(backendsStoring(file));
    } finally {
      spy.mockRestore();
    }
  });
});
