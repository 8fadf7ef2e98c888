/**
 * CSV for contact lists, safe to open in a spreadsheet: a cell that starts
 * with = + - @ tab or CR is prefixed with an apostrophe so it is read as
 * text, not a formula (the injection luca's exports to health departments
 * suffered). RFC 4180 quoting; UTF-8 with BOM so Excel shows Hangul.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | null): string {
  let text = value === null ? "" : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  return "\uFEFF" + [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}
