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
