import fc from "fast-check";
import { escapeForPythonRe, exactLookupPattern } from "../../components/airflow";
import { askPython } from "../support/airflowSemantics";

/** Airflow applies the pattern with re.match(pattern, id, re.IGNORECASE); Python decides here. */
function matches(pattern: string, ids: string[]): boolean[] {
  const [answer] = askPython([{ op: "match", pattern, ids }]);
  if (answer.error) throw new Error(answer.error);
  return answer.ok as boolean[];
}

describe("exact lookup patterns", () => {
  const declared = [
    "warehouse",
    "warehouse_replica",
    "aws_default",
    "s3.landing",
    "a(b)#c!d:e/f\\g-h",
    "smtp",
  ];
  const pattern = exactLookupPattern(declared);

  it("matches every declared id", () => {
    expect(matches(pattern, declared)).toEqual(declared.map(() => true));
  });

  it("matches no case variant, although Airflow applies it with re.IGNORECASE", () => {
    const variants = ["WAREHOUSE", "Warehouse", "Aws_Default", "S3.LANDING", "SMTP", "A(B)#C!D:E/F\\G-H"];
    expect(matches(pattern, variants)).toEqual(variants.map(() => false));
  });

  it("is case-exact for non-ASCII letters too", () => {
    const p = exactLookupPattern(["données_é"]);
    expect(matches(p, ["données_é", "DONNÉES_É", "Données_é"])).toEqual([true, false, false]);
  });

  it("matches no prefix, suffix or extension of a declared id", () => {
    const near = [
      "ware",
      "warehouse_",
      "warehouse_replica2",
      "xwarehouse",
      "warehouse\n",
      "aws",
      "aws_default_2",
      "s3Xlanding",
      "s3",
      "smtp_default",
      "",
    ];
    expect(matches(pattern, near)).toEqual(near.map(() => false));
  });

  it("treats regex metacharacters in ids literally", () => {
    expect(matches(pattern, ["a(b)#c!d:e/f\\g-h", "ab#c!d:e/f\\g-h", "s3xlanding"])).toEqual([
      true,
      false,
      false,
    ]);
  });

  it("matches nothing when nothing of the kind is declared", () => {
    expect(matches(exactLookupPattern([]), ["anything", ""])).toEqual([false, false]);
  });

  it("escapes only what needs escaping and keeps non-ASCII letters", () => {
    expect(escapeForPythonRe("données.v1")).toBe("données\\.v1");
  });
});

describe("generated: the pattern admits exactly the declared ids under Python's re.IGNORECASE", () => {
  const seed = Number(process.env.FIDELITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const idChar = fc.constantFrom(
    ..."abcxyzABCXYZ019_#!()-.:/\\",
    "é",
    "É",
    "ß",
    "ǅ",
    "σ",
    "Σ",
    "ı",
    "İ",
    "k",
    "K",
    "K",
  );
  const id = fc.array(idChar, { minLength: 1, maxLength: 8 }).map((cs) => cs.join(""));
  const cases = fc.sample(fc.uniqueArray(id, { minLength: 1, maxLength: 4 }), { seed, numRuns: 2000 });

  /** Near misses: case variants, prefixes, extensions, `id\n` — none of them declared. */
  const nearMisses = (ids: string[]) => {
    const declared = new Set(ids);
    const out = new Set<string>();
    for (const i of ids) {
      for (const v of [
        i.toUpperCase(),
        i.toLowerCase(),
        [...i].map((c, n) => (n % 2 ? c.toUpperCase() : c.toLowerCase())).join(""),
        i.slice(0, -1),
        `${i}x`,
        `x${i}`,
        `${i}\n`,
        `${i}_`,
      ])
        if (!declared.has(v)) out.add(v);
    }
    return [...out];
  };

  it(`matches every declared id and no near miss (seed ${seed}, ${cases.length} cases)`, () => {
    expect(cases.length).toBe(2000);
    const requests = cases.map((ids) => ({
      op: "match" as const,
      pattern: exactLookupPattern(ids),
      ids: [...ids, ...nearMisses(ids)],
    }));
    const answers = askPython(requests);
    const wrong: string[] = [];
    answers.forEach((answer, n) => {
      if (answer.error) wrong.push(`case ${n}: ${answer.error}`);
      const declared = cases[n].length;
      (answer.ok as boolean[]).forEach((matched, k) => {
        if (matched !== k < declared)
          wrong.push(
            `case ${n}: ${JSON.stringify(requests[n].ids[k])} ${matched ? "matched" : "did not match"} ${requests[n].pattern}`,
          );
      });
    });
    if (wrong.length) throw new Error(`replay with FIDELITY_SEED=${seed}\n${wrong.slice(0, 10).join("\n")}`);
  });
});
