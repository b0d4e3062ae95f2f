/**
 * Declarations are checked exactly once per environment, whatever the backend: the environment's
 * adapter plans them (the contract's `validateDeclarations`), the backend's resolve uses that plan and
 * its component builds from it without checking again.
 */
import * as path from "path";
import * as validate from "../../components/airflow/validate";
import { parseSynthArgs, synthFromArgs } from "../../cli/synthCommand";
import { BACKEND_NAMES } from "../../components/registry";
import { readYamlFile } from "../../cli/synth/stackFile";

import { REPO, SHIPPED_STACK_FILES as SHIPPED } from "../support/shippedStacks";

const backendOf = (file: string) =>
  (readYamlFile(path.join(REPO, file)) as { config: Record<string, string> }).config[
    "airflow-secrets:backend"
  ];

test("the shipped stacks cover every backend", () => {
  expect(new Set(SHIPPED.map(backendOf))).toEqual(new Set(BACKEND_NAMES));
});

describe.each(SHIPPED)("%s", (file) => {
  test("synth validates the declarations once", async () => {
    const spy = jest.spyOn(validate, "validateDeclarations");
    try {
      const { result } = await synthFromArgs(parseSynthArgs(["--config-file", path.join(REPO, file)]));
      expect(result.resources.length).toBeGreaterThan(0);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });
});
