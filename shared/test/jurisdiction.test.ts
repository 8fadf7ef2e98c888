// 관할지역 (R-F1, R-F2): the fixed list registrants and approvers choose from.
import { describe, expect, it } from "vitest";
import { JURISDICTIONS, SIDO_NAMES, isSido, sigunguOf } from "../src/jurisdiction.js";

describe("jurisdictions", () => {
  it("has the 17 시·도 and 230 local governments (226 autonomous, Jeju's 2 cities, Sejong, Incheon's 2026 split)", () => {
    expect(SIDO_NAMES).toHaveLength(17);
    expect(Object.values(JURISDICTIONS).flat()).toHaveLength(230);
    for (const sido of SIDO_NAMES) {
      expect(sido).toMatch(/(특별시|광역시|특별자치시|도|특별자치도)$/);
      const list = sigunguOf(sido);
      expect(new Set(list).size, sido).toBe(list.length);
      for (const sigungu of list) expect(sigungu).toMatch(/^[가-힣]+(시|군|구)$/);
    }
  });

  it("knows the current names, not the retired ones", () => {
    expect(isSido("강원특별자치도") && isSido("전북특별자치도")).toBe(true);
    expect(isSido("강원도") || isSido("전라북도")).toBe(false);
    expect(sigunguOf("대구광역시")).toContain("군위군"); // moved from 경상북도 in 2023
    expect(sigunguOf("경상북도")).not.toContain("군위군");
    expect(sigunguOf("인천광역시")).not.toContain("중구"); // 제물포구 and 영종구 since 2026-07-01
  });

  it("answers a name that is no 시·도 with nothing, including the names every object has", () => {
    for (const name of ["서울", "", "toString", "__proto__", "constructor", "hasOwnProperty"]) {
      expect(isSido(name)).toBe(false);
      expect(sigunguOf(name)).toEqual([]);
    }
  });
});
