import * as fc from "fast-check";
import { Problems } from "../../components/airflow/problems";
import { checkEachOfNonEmptyList } from "../../components/core/lists";

/** Runs the helper with an item rule "must be lower case" and returns the recorded problems. */
function problemsFor(list: readonly string[] | undefined): string[] {
  const problems = new Problems();
  checkEachOfNonEmptyList(list, "a.names", "must name at least one", problems, (name, at) =>
    problems.check(name === name.toLowerCase(), at, "must be lower case"),
  );
  return problems.list.map((p) => `${p.path}: ${p.rule}`);
}

describe("checkEachOfNonEmptyList", () => {
  it("refuses a missing, empty or non-array list at the list's path, without item checks", () => {
    expect(problemsFor(undefined)).toEqual(["a.names: must name at least one"]);
    expect(problemsFor([])).toEqual(["a.names: must name at least one"]);
    expect(problemsFor("abc" as unknown as string[])).toEqual(["a.names: must name at least one"]);
  });

  it("checks every item at its own index, and only the items that break the rule", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 8 }), (names) => {
        const expected = names.flatMap((name, i) =>
          name === name.toLowerCase() ? [] : [`a.names[${i}]: must be lower case`],
        );
        expect(problemsFor(names)).toEqual(expected);
      }),
    );
    expect(problemsFor(["ok", "Bad"])).toEqual(["a.names[1]: must be lower case"]);
  });
});
