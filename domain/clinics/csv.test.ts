import { describe, expect, it } from "vitest";
import { parseCsv, readHeader } from "./csv.ts";

describe("parseCsv", () => {
  it("reads quotes, escaped quotes, commas and line breaks inside fields, with line numbers", () => {
    const r = parseCsv('name,note\r\n"Smith, Jones","said ""hi"""\r\n"two\nlines",x\r\nlast,y');
    expect(r).toEqual({
      ok: true,
      records: [
        { line: 1, fields: ["name", "note"] },
        { line: 2, fields: ["Smith, Jones", 'said "hi"'] },
        { line: 3, fields: ["two\nlines", "x"] },
        { line: 5, fields: ["last", "y"] },
      ],
    });
  });

  it("drops a byte-order mark and skips blank lines but keeps their numbering", () => {
    const r = parseCsv("\ufeffa,b\n\n1,2\n");
    expect(r).toEqual({
      ok: true,
      records: [
        { line: 1, fields: ["a", "b"] },
        { line: 3, fields: ["1", "2"] },
      ],
    });
  });

  it("keeps empty fields, and a line of only commas is a record", () => {
    const r = parseCsv("a,,c\n,,\n");
    expect(r.ok && r.records.map((x) => x.fields)).toEqual([
      ["a", "", "c"],
      ["", "", ""],
    ]);
  });

  it("names the line of a stray or unclosed quote", () => {
    expect(parseCsv('a\nb"c\n')).toMatchObject({ ok: false, line: 2 });
    expect(parseCsv('a\n"open\nmore')).toMatchObject({ ok: false, line: 2, message: expect.stringContaining("never closed") });
    expect(parseCsv('"a"b')).toMatchObject({ ok: false, line: 1 });
  });
});

describe("parseCsv on csv-parse: line numbers as a person counts them", () => {
  it("a quoted line break (LF or CRLF) keeps the record on its first line and the next record on the right one", () => {
    const r = parseCsv('name,note\r\n"Kiwi\r\nHands, Ltd",a\r\n"one\ntwo\nthree",b\r\nlast,c\r\n');
    expect(r).toEqual({
      ok: true,
      records: [
        { line: 1, fields: ["name", "note"] },
        { line: 2, fields: ["Kiwi\r\nHands, Ltd", "a"] },
        { line: 4, fields: ["one\ntwo\nthree", "b"] },
        { line: 7, fields: ["last", "c"] },
      ],
    });
  });

  it("reads a CRLF file with a byte-order mark and blank CRLF lines", () => {
    const r = parseCsv("\ufeffname,country\r\n\r\nCoastal Physio,AU\r\n\r\n\r\nKiwi Hands,NZ\r\n");
    expect(r).toEqual({
      ok: true,
      records: [
        { line: 1, fields: ["name", "country"] },
        { line: 3, fields: ["Coastal Physio", "AU"] },
        { line: 6, fields: ["Kiwi Hands", "NZ"] },
      ],
    });
  });

  it("takes LF, CRLF and lone CR line ends in one file", () => {
    const r = parseCsv("a\nb\r\nc\rd");
    expect(r.ok && r.records.map((x) => [x.line, x.fields[0]])).toEqual([
      [1, "a"],
      [2, "b"],
      [3, "c"],
      [4, "d"],
    ]);
  });

  it("names the right line for a bad quote after multi-line records, blank lines and a byte-order mark", () => {
    expect(parseCsv('\ufeffname\r\n"two\r\nlines"\r\n\r\nok\r\nb"ad\r\n')).toMatchObject({
      ok: false,
      line: 6,
      message: expect.stringContaining("may only start a field"),
    });
    expect(parseCsv('name\n"a\nb"x\n')).toMatchObject({ ok: false, line: 3, message: expect.stringContaining("closing quote") });
    expect(parseCsv('\ufeff\r\n\r\n"never\r\nclosed')).toMatchObject({ ok: false, line: 3, message: "A quoted field is never closed." });
  });
});

describe("readHeader", () => {
  it("maps columns case-insensitively and reports unknown, repeated and missing ones", () => {
    const ok = readHeader({ line: 1, fields: ["Name", " Time Zone "] }, ["name", "time_zone"], ["name"]);
    expect(ok.ok && [...ok.index]).toEqual([
      ["name", 0],
      ["time_zone", 1],
    ]);
    const bad = readHeader({ line: 1, fields: ["nmae", "name", "name"] }, ["name", "country"], ["name", "country"]);
    expect(bad.ok ? [] : bad.errors.map((e) => e.message)).toEqual([
      expect.stringContaining('Unknown column "nmae"'),
      expect.stringContaining("appears twice"),
      expect.stringContaining('no "country" column'),
    ]);
  });
});
