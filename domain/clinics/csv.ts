import { CsvError, parse } from "csv-parse/sync";

/**
 * CSV files (clinic import, campaign lists) read with csv-parse (RFC 4180: quoted fields with ""
 * for a quote, commas and line breaks inside; CRLF, LF or CR line ends, mixed too; a leading
 * byte-order mark; blank lines skipped), turned into records that carry the line each one starts
 * on, so every problem is reported against the line a person sees in their editor.
 */

export interface CsvRecord {
  /** 1-based line in the file where the record starts (a quoted line break spans lines). */
  line: number;
  fields: string[];
}

export type CsvParse = { ok: true; records: CsvRecord[] } | { ok: false; line: number; message: string };

// why: the messages the import page has always shown, whatever words the library uses
const MESSAGES: Record<string, string> = {
  INVALID_OPENING_QUOTE: 'A quote may only start a field; write a quote inside a field as "".',
  CSV_INVALID_CLOSING_QUOTE: "A closing quote must be followed by a comma or the end of the line.",
  CSV_QUOTE_NOT_CLOSED: "A quoted field is never closed.",
};

// why: the file's own line numbering counts a quoted field's LF as a line (a lone CR inside quotes
// is not one), as the importer always has; the library counts each CR and LF inside quotes
const lineBreaks = (fields: string[]) => fields.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);

export function parseCsv(text: string): CsvParse {
  // Each record starts on the line after the previous record's end plus the blank lines skipped in
  // between (which the library counts), so lines are counted here rather than taken from the library.
  let end = 0; // last line of the previous record
  let blanks = 0; // blank lines skipped up to it
  let libraryEnd = 0; // that same line as the library numbers it
  let consumed = 0; // bytes read through the previous record's line end
  const records: CsvRecord[] = [];
  try {
    parse(text, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ["\r\n", "\n", "\r"],
      on_record: (fields, ctx) => {
        const line = end + 1 + (ctx.empty_lines - blanks);
        end = line + lineBreaks(fields);
        blanks = ctx.empty_lines;
        libraryEnd = ctx.lines;
        consumed = ctx.bytes;
        records.push({ line, fields });
        return null; // collected above, with its line
      },
    });
    return { ok: true, records };
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const message = MESSAGES[err.code] ?? "This line cannot be read as CSV.";
    const libraryLine = (err as CsvError & { lines?: number }).lines ?? libraryEnd + 1;
    return { ok: false, line: errorLine(text, consumed, libraryLine, end, libraryEnd, err.code === "CSV_QUOTE_NOT_CLOSED"), message };
  }
}

/**
 * The line of a parse error in the file's numbering: walks the unfinished record (it starts at byte
 * `from`, after the last good record) to the library's error line. An unclosed quote is reported
 * where its record starts, since the library only knows it at the end of the file.
 */
function errorLine(text: string, from: number, libraryLine: number, end: number, libraryEnd: number, atStart: boolean): number {
  const rest = Buffer.from(text, "utf8")
    .subarray(from)
    .toString("utf8")
    .replace(/^\ufeff/, "");
  let mine = end + 1;
  let lib = libraryEnd + 1;
  let i = 0;
  for (let m = /^(\r\n|\n|\r)/.exec(rest); m; m = /^(\r\n|\n|\r)/.exec(rest.slice(i))) {
    i += m[0].length;
    mine++;
    lib++;
  }
  if (atStart) return mine;
  for (; i < rest.length && lib < libraryLine; i++) {
    if (rest[i] === "\n") mine++;
    if (rest[i] === "\n" || rest[i] === "\r") lib++;
  }
  return mine;
}

/** A problem with one line of an uploaded file, as the page lists it. */
export interface LineError {
  line: number;
  message: string;
}

/**
 * Maps a header row onto known column names (case- and space-insensitive). Unknown columns are
 * errors rather than silently ignored, so a typo like "admin_emial" is caught.
 */
export function readHeader(
  header: CsvRecord,
  known: readonly string[],
  required: readonly string[],
): { ok: true; index: Map<string, number> } | { ok: false; errors: LineError[] } {
  const index = new Map<string, number>();
  const errors: LineError[] = [];
  header.fields.forEach((raw, i) => {
    const name = raw.trim().toLowerCase().replace(/\s+/g, "_");
    if (!known.includes(name)) errors.push({ line: header.line, message: `Unknown column "${raw.trim()}". The columns are: ${known.join(", ")}.` });
    else if (index.has(name)) errors.push({ line: header.line, message: `The column "${name}" appears twice.` });
    else index.set(name, i);
  });
  for (const r of required) if (!index.has(r)) errors.push({ line: header.line, message: `The header has no "${r}" column.` });
  return errors.length ? { ok: false, errors } : { ok: true, index };
}
