// Contact lists leave the authority as CSV that a spreadsheet opens as text:
// no cell can become a formula (the injection luca's exports suffered).
import { describe, expect, it } from "vitest";
import { csvCell, toCsv } from "../src/csv.js";

describe("CSV export", () => {
  it.each(['=HYPERLINK("x")', "+82 10", "-1+1", "@SUM(A1)", "\tTAB", "\rCR"])("keeps %j as text", (value) => {
    const cell = csvCell(value);
    const unquoted = cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell;
    expect(unquoted.startsWith("'")).toBe(true);
    expect(unquoted.slice(1)).toBe(value);
  });

  it("quotes commas, quotes and newlines, and leaves plain text alone", () => {
    expect(csvCell("홍길동")).toBe("홍길동");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell("line\nbreak")).toBe('"line\nbreak"');
    expect(csvCell(null)).toBe("");
    expect(csvCell(42)).toBe("42");
  });

  it("writes a BOM, CRLF rows and the header first", () => {
    expect(toCsv(["name", "phone"], [['=HYPERLINK("x")', "010-1234-5678"]])).toBe('\uFEFFname,phone\r\n"\'=HYPERLINK(""x"")",010-1234-5678\r\n');
  });
});
