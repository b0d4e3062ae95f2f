import { withoutStackCapture } from "../../cli/synth/mockRuntime";

describe("withoutStackCapture", () => {
  test("no frames are captured, even when code raises the limit as Pulumi's Resource does", async () => {
    const seen = await withoutStackCapture(async () => {
      Error.stackTraceLimit = Number.POSITIVE_INFINITY; // what Resource.callsites() does
      const error = new Error("boom");
      return { stack: error.stack, message: error.message, limit: Error.stackTraceLimit };
    });
    expect(seen.stack).toBeUndefined();
    expect(seen.message).toBe("boom");
    expect(seen.limit).toBe(0);
  });

  test("the original limit comes back afterwards, also when the work throws", async () => {
    const before = Error.stackTraceLimit;
    expect(typeof before).toBe("number");
    await expect(
      withoutStackCapture(async () => {
        throw new TypeError("bad input");
      }),
    ).rejects.toThrow("bad input");
    expect(Error.stackTraceLimit).toBe(before);
    Error.stackTraceLimit = before + 1; // writable again
    expect(Error.stackTraceLimit).toBe(before + 1);
    Error.stackTraceLimit = before;
    expect(new Error("x").stack).toContain("stackCapture.test");
  });
});
