/**
 * A small RFC 4180 reader: quoted fields (with "" for a quote, commas and line breaks inside),
 * CRLF or LF line ends, a leading byte-order mark, and blank lines skipped. No dependency: the
 * files are small (a few thousand rows) and every row must be reported with the line it started
 * on, which a streaming library would make us reconstruct anyway.
 */

export interface CsvRecord {
  /** 1-based line in the file where the record starts (a quoted line break spans lines). */
  line: number;
  fields: string[];
}

export type CsvParse = { ok: true; records: CsvRecord[] } | { ok: false; line: number; message: string };

export function parseCsv(text: string): CsvParse {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let quoted = false;
  // why: a field that was quoted is data even when empty; an unquoted empty line is no record
  let sawContent = false;

  const endField = () => {
    fields.push(field);
    field = "";
  };
  const endRecord = () => {
    endField();
    if (sawContent || fields.length > 1) records.push({ line: recordLine, fields });
    fields = [];
    sawContent = false;
  };

  while (i < src.length) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = src[i];
        if (next !== undefined && next !== "," && next !== "\r" && next !== "\n") {
          return { ok: false, line, message: "A closing quote must be followed by a comma or the end of the line." };
        }
        continue;
      }
      if (ch === "\n") line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === '"') {
      if (field.length > 0) return { ok: false, line, message: 'A quote may only start a field; write a quote inside a field as "".' };
      quoted = true;
      sawContent = true;
      i++;
      continue;
    }
    if (ch === ",") {
      sawContent = true;
      endField();
      i++;
      continue;
    }
    if (ch === "\r" || ch === "\n") {
      endRecord();
      i += ch === "\r" && src[i + 1] === "\n" ? 2 : 1;
      line++;
      recordLine = line;
      continue;
    }
    sawContent = true;
    field += ch;
    i++;
  }
  if (quoted) return { ok: false, line: recordLine, message: "A quoted field is never closed." };
  if (field.length > 0 || fields.length > 0 || sawContent) endRecord();
  return { ok: true, records };
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
