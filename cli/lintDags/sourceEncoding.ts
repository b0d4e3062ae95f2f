/**
 * Turns the bytes of a Python file into text the way CPython does (PEP 263): UTF-8 unless a
 * coding cookie in the first two lines declares another encoding.
 */

export type DecodedSource =
  { ok: true; text: string } | { ok: false; line: number; column: number; message: string };

/** PEP 263's cookie syntax, matched against one of the first two lines (which must be ASCII). */
const CODING_COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;
/** A line that is blank or only a comment; only then may the cookie sit on the second line. */
const BLANK_OR_COMMENT_LINE = /^[ \t\f]*(?:#.*)?\r?$/;
const UTF8_BOM = [0xef, 0xbb, 0xbf];

type Decoder = (bytes: Uint8Array) => { text: string } | { invalidAt: number };

const latin1: Decoder = (bytes) => ({ text: Buffer.from(bytes).toString("latin1") });

const ascii: Decoder = (bytes) => {
  const invalidAt = bytes.findIndex((byte) => byte > 0x7f);
  return invalidAt < 0 ? latin1(bytes) : { invalidAt };
};

function whatwgDecoder(label: string): Decoder {
  return (bytes) => {
    try {
      return { text: new TextDecoder(label, { fatal: true }).decode(bytes) };
    } catch {
      return { invalidAt: firstUndecodableByte(bytes, label) };
    }
  };
}

/**
 * Feeds the decoder one byte at a time to find where decoding fails; when a byte breaks a
 * multi-byte sequence, the error belongs to the byte that started that sequence. Only runs for
 * files that already failed to decode.
 */
function firstUndecodableByte(bytes: Uint8Array, label: string): number {
  const decoder = new TextDecoder(label, { fatal: true });
  let sequenceStart = 0;
  for (let offset = 0; offset < bytes.length; offset++) {
    try {
      if (decoder.decode(bytes.subarray(offset, offset + 1), { stream: true }) !== "")
        sequenceStart = offset + 1;
    } catch {
      return sequenceStart;
    }
  }
  return sequenceStart; // the file ends inside a multi-byte sequence
}

const utf8 = whatwgDecoder("utf-8");

const LATIN1_NAMES = new Set([
  "latin-1",
  "latin1",
  "iso-8859-1",
  "iso8859-1",
  "iso-latin-1",
  "l1",
  "latin",
  "cp819",
]);
const ASCII_NAMES = new Set(["ascii", "us-ascii", "646"]);

/**
 * Python codec names to decoders. WHATWG's TextDecoder treats "latin1" and "ascii" as
 * windows-1252, which is not what Python means, so those two are decoded here.
 */
function decoderForCookie(declared: string): Decoder | undefined {
  const name = declared.toLowerCase().replace(/_/g, "-");
  if (name === "utf8" || name === "utf-8" || name.startsWith("utf-8-")) return utf8;
  if (LATIN1_NAMES.has(name)) return latin1;
  if (ASCII_NAMES.has(name)) return ascii;
  try {
    new TextDecoder(name);
    return whatwgDecoder(name);
  } catch {
    return undefined;
  }
}

function firstLines(bytes: Uint8Array): string[] {
  return Buffer.from(bytes).toString("latin1").split("\n", 2);
}

/** The encoding declared by a coding cookie, with the 1-based line it is on. */
function codingCookie(bytes: Uint8Array): { encoding: string; line: number } | undefined {
  const [first, second] = firstLines(bytes);
  const onFirst = CODING_COOKIE.exec(first);
  if (onFirst) return { encoding: onFirst[1], line: 1 };
  if (second === undefined || !BLANK_OR_COMMENT_LINE.test(first)) return undefined;
  const onSecond = CODING_COOKIE.exec(second);
  return onSecond ? { encoding: onSecond[1], line: 2 } : undefined;
}

/** 1-based line and column (in characters) of a byte offset whose prefix decodes cleanly. */
function positionOf(bytes: Uint8Array, offset: number, decode: Decoder): { line: number; column: number } {
  const prefix = decode(bytes.subarray(0, offset));
  const text = "text" in prefix ? prefix.text : "";
  const lines = text.split("\n");
  return { line: lines.length, column: Array.from(lines[lines.length - 1]).length + 1 };
}

function byteHex(byte: number): string {
  return `0x${byte.toString(16).toUpperCase().padStart(2, "0")}`;
}

function cookieProblem(line: number, message: string): DecodedSource {
  return { ok: false, line, column: 1, message };
}

export function decodePythonSource(bytes: Uint8Array): DecodedSource {
  const hasBom = UTF8_BOM.every((byte, index) => bytes[index] === byte);
  const body = hasBom ? bytes.subarray(UTF8_BOM.length) : bytes;
  const cookie = codingCookie(body);
  let decode = utf8;
  if (cookie) {
    const declared = decoderForCookie(cookie.encoding);
    if (!declared) {
      return cookieProblem(
        cookie.line,
        `unknown encoding "${cookie.encoding}" in the coding cookie; Python cannot import this file`,
      );
    }
    if (hasBom && declared !== utf8) {
      return cookieProblem(
        cookie.line,
        `the file starts with a UTF-8 byte order mark but its coding cookie declares "${cookie.encoding}"`,
      );
    }
    decode = declared;
  }
  const decoded = decode(body);
  if ("text" in decoded) return { ok: true, text: decoded.text };
  const { line, column } = positionOf(body, decoded.invalidAt, decode);
  const byte = byteHex(body[decoded.invalidAt]);
  const message = cookie
    ? `byte ${byte} is not valid ${cookie.encoding}, the encoding declared by the coding cookie on line ${cookie.line}`
    : `not UTF-8: byte ${byte} cannot be decoded and there is no PEP 263 coding cookie; ` +
      `save the file as UTF-8 or declare its encoding on the first line, e.g. "# -*- coding: latin-1 -*-"`;
  return { ok: false, line, column, message };
}
