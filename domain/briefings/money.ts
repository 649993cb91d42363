/**
 * Exact money for the briefing: amounts are integers of 1/10,000 of the currency unit (bigint), so the
 * vendors' decimal strings ("123.45", "-25", "12.3456") sum without loss; only the report's output is
 * rounded, once, to 2 decimals (half away from zero). Never floats.
 */

const SCALE = 10_000n;

/** "123.45" → 1234500n. More than 4 decimals round half away from zero at the 4th. */
export function parseMoney(text: string): bigint {
  // why: the common shape ("123.45", "-25.00", "7") without a regex; a briefing parses thousands
  const dot = text.indexOf(".");
  if (dot === -1 ? /^-?\d{1,15}$/.test(text) : dot > 0 && text.length - dot - 1 <= 4 && /^-?\d{1,15}\.\d+$/.test(text)) {
    const negative = text.charCodeAt(0) === 45;
    const whole = dot === -1 ? text : text.slice(0, dot);
    const frac = dot === -1 ? "" : text.slice(dot + 1);
    const units = Math.abs(Number(whole)) * 10_000 + Number(frac.padEnd(4, "0"));
    return BigInt(negative ? -units : units);
  }
  const m = /^(-)?(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) throw new Error(`not a decimal amount: ${JSON.stringify(text)}`);
  const frac = (m[3] ?? "").padEnd(5, "0");
  let units = BigInt(m[2] || "0") * SCALE + BigInt(frac.slice(0, 4));
  if (Number(frac[4]) >= 5) units += 1n;
  return m[1] ? -units : units;
}

/**
 * The same units as a safe integer number, for sums over thousands of invoices without a bigint
 * allocation each: exact while |total| < 2^53 units (about 900 billion in the currency), checked.
 */
export function parseUnits(text: string): number {
  // why: a char-code scan of the common shape ("123.45", "-25"); anything else goes through parseMoney
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  const negative = i === 1;
  let whole = 0;
  let frac = 0;
  let fracDigits = -1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && fracDigits === -1) fracDigits = 0;
    else if (c < 48 || c > 57 || fracDigits >= 4) return checked(Number(parseMoney(text)), text);
    else if (fracDigits >= 0) {
      frac = frac * 10 + (c - 48);
      fracDigits++;
    } else whole = whole * 10 + (c - 48);
  }
  if (text.length === (negative ? 1 : 0) || text === "." || text === "-.") return checked(Number(parseMoney(text)), text);
  for (let d = Math.max(0, fracDigits); d < 4; d++) frac *= 10;
  const u = whole * 10_000 + frac;
  return checked(negative ? -u : u, text);
}

function checked(u: number, text: string): number {
  if (!Number.isSafeInteger(u)) throw new Error(`amount out of range: ${text}`);
  return u;
}

/** A sum of parseUnits values back to exact units (throws if it left the safe range). */
export function unitsOf(sum: number): bigint {
  if (!Number.isSafeInteger(sum)) throw new Error("money sum out of the exact range");
  return BigInt(sum);
}

/** a ÷ b rounded half away from zero (b ≠ 0). */
export function divRound(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new Error("division by zero");
  const negative = a < 0n !== b < 0n;
  const [x, y] = [a < 0n ? -a : a, b < 0n ? -b : b];
  const q = (x * 2n + y) / (y * 2n);
  return negative ? -q : q;
}

/** 1234500n → "123.45" (2 decimals, half away from zero). */
export function moneyString(units: bigint): string {
  const cents = divRound(units, 100n);
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const whole = abs / 100n;
  const frac = String(abs % 100n).padStart(2, "0");
  return `${negative ? "-" : ""}${whole}.${frac}`;
}

/** A locale per currency, so a clinic sees its own symbol ("$" in Australia, "£" in the UK) and digit grouping. */
const LOCALES: Record<string, string> = { AUD: "en-AU", NZD: "en-NZ", GBP: "en-GB", USD: "en-US", CAD: "en-CA", EUR: "en-IE", ZAR: "en-ZA", SGD: "en-SG" };
const moneyFormats = new Map<string, Intl.NumberFormat>();

/**
 * "3420.00", "AUD" → "$3,420.00" (or "$3,420" with `whole`) in the currency's home locale. Intl
 * formats the exact decimal string itself (ECMA-402 reads a numeric string as an exact decimal).
 */
export function formatMoney(amount: string, currency: string, { whole = false }: { whole?: boolean } = {}): string {
  const code = currency.toUpperCase();
  const key = `${code}|${whole}`;
  let f = moneyFormats.get(key);
  if (!f) {
    const digits = whole ? 0 : 2;
    f = new Intl.NumberFormat(LOCALES[code] ?? "en-GB", { style: "currency", currency: code, minimumFractionDigits: digits, maximumFractionDigits: digits });
    moneyFormats.set(key, f);
  }
  return f.format(amount as Intl.StringNumericLiteral);
}

const CURRENCY_BY_COUNTRY: Record<string, string> = {
  AU: "AUD",
  NZ: "NZD",
  GB: "GBP",
  US: "USD",
  CA: "CAD",
  IE: "EUR",
  ZA: "ZAR",
  SG: "SGD",
  DE: "EUR",
  FR: "EUR",
  NL: "EUR",
  ES: "EUR",
  IT: "EUR",
};

/** The briefing's currency: the clinic's setting, else its country's, else AUD (with a note from the caller). */
export function currencyFor(setting: string | null | undefined, country: string): { currency: string; fromCountry: boolean; known: boolean } {
  if (setting) return { currency: setting.toUpperCase(), fromCountry: false, known: true };
  const c = CURRENCY_BY_COUNTRY[country.toUpperCase()];
  return { currency: c ?? "AUD", fromCountry: true, known: c !== undefined };
}
