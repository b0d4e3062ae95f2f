/** Source decoding as CPython does it (PEP 263): UTF-8 unless a coding cookie says otherwise. */
import { lintDagSource } from "../../cli/lintDags";

const LOOKUP = 'from airflow.models import Variable\nX = "%s"; Y = Variable.get("y")\n';

function bytes(...parts: (string | number[])[]): Buffer {
  return Buffer.concat(
    parts.map((part) => (typeof part === "string" ? Buffer.from(part, "utf8") : Buffer.from(part))),
  );
}

async function findings(source: Buffer | string): Promise<string[]> {
  return (await lintDagSource(source, "dag.py")).map((f) => `${f.rule} ${f.line}:${f.column} ${f.message}`);
}

const [before, after] = LOOKUP.split("%s");

describe("PEP 263 decoding", () => {
  it("decodes UTF-8 by default, counting columns in characters", async () => {
    expect(await findings(bytes(before, "Genève", after))).toEqual([expect.stringMatching(/^AS001 2:19 /)]);
  });

  it("honours a cookie on the second line when the first is a comment", async () => {
    const source = bytes("#!/usr/bin/env python\n# -*- coding: latin-1 -*-\n", before, [0xe9], after);
    expect(await findings(source)).toEqual([expect.stringMatching(/^AS001 4:14 /)]);
  });

  it("accepts the vim spelling of the cookie and Python's codec aliases", async () => {
    for (const cookie of ["# vim: set fileencoding=iso-8859-1 :", "# coding=latin_1", "# coding: cp1252"]) {
      const source = bytes(`${cookie}\n`, before, [0xe9], after);
      expect(await findings(source)).toEqual([expect.stringMatching(/^AS001 3:14 /)]);
    }
  });

  it("decodes bytes 0x80-0x9F as latin-1 controls, not as windows-1252", async () => {
    const source = bytes(
      "# coding: latin-1\nfrom airflow.models import Variable\nVariable.get('",
      [0x80],
      "')\n",
    );
    const [finding] = await lintDagSource(source, "dag.py");
    expect(finding.message).toContain("{{ var.value.\u0080 }}");
  });

  it("ignores a cookie on the second line when the first line is code", async () => {
    const source = bytes("import os\n# coding: latin-1\n", before, [0xe9], after);
    expect(await findings(source)).toEqual([
      'AS901 4:6 not UTF-8: byte 0xE9 cannot be decoded and there is no PEP 263 coding cookie; save the file as UTF-8 or declare its encoding on the first line, e.g. "# -*- coding: latin-1 -*-"',
    ]);
  });

  it("points AS901 at the byte that starts a broken or truncated UTF-8 sequence", async () => {
    expect(await findings(bytes("X = 1\nY = 'ok é ", [0xe2, 0x82], "'\n"))).toEqual([
      expect.stringMatching(/^AS901 2:11 not UTF-8: byte 0xE2 /),
    ]);
    expect(await findings(bytes("X = 'end ", [0xf0, 0x9f]))).toEqual([
      expect.stringMatching(/^AS901 1:10 .* 0xF0 /),
    ]);
  });

  it("reports bytes that are not valid in the declared encoding", async () => {
    const source = bytes("# coding: ascii\n", before, [0xc3, 0xa9], after);
    expect(await findings(source)).toEqual([
      "AS901 3:6 byte 0xC3 is not valid ascii, the encoding declared by the coding cookie on line 1",
    ]);
  });

  it("reports an unknown encoding and a byte order mark that contradicts the cookie", async () => {
    expect(await findings(bytes("# coding: klingon\nX = 1\n"))).toEqual([
      'AS901 1:1 unknown encoding "klingon" in the coding cookie; Python cannot import this file',
    ]);
    expect(await findings(bytes([0xef, 0xbb, 0xbf], "\n# coding: latin-1\nX = 1\n"))).toEqual([
      'AS901 2:1 the file starts with a UTF-8 byte order mark but its coding cookie declares "latin-1"',
    ]);
  });

  it("skips a UTF-8 byte order mark, in bytes and in strings, and accepts it with a utf-8 cookie", async () => {
    const withBom = bytes([0xef, 0xbb, 0xbf], "# coding: utf-8\n", before, "x", after);
    expect(await findings(withBom)).toEqual([expect.stringMatching(/^AS001 3:14 /)]);
    expect(await findings(`\uFEFF${before}x${after}`)).toEqual([expect.stringMatching(/^AS001 2:14 /)]);
  });
});
