/**
 * Text that is plainly not an API key — a web address, an email address, a sentence — gets words
 * that say so (decision 0027), instead of "contains spaces" or "punctuation". Shared by the Cliniko
 * and Nookal key parsers; never quotes what was pasted.
 */
export function notAKeyMessage(raw: string, vendorLabel: string): string | null {
  const text = raw.trim();
  const where = vendorLabel === "Cliniko" ? "My Info → Manage API keys" : "Setup → Integrations → API Keys";
  const copy = `Copy the key itself from ${vendorLabel} (${where}).`;
  if (/^(https?:\/\/|www\.)/i.test(text) || /\.(com|au|uk|nz|io)(\/|$)/i.test(text)) return `That is a web address, not an API key. ${copy}`;
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) return `That is an email address, not an API key. ${copy}`;
  // why: three or more words with letters is prose (a message, a name), never a key
  if (text.split(/\s+/).filter((w) => /[a-z]{2,}/i.test(w)).length >= 3) return `That looks like ordinary text, not an API key. ${copy}`;
  return null;
}
