/**
 * Paper log (R-P1, R-U6): for visitors without a smartphone or who refuse the
 * QR, the facility keeps a handwritten log after an ID check. Two printable
 * A4 sheets, in Korean as the guide gives them: the consent form (양식1) and
 * the entry-log template. Each carries the date it is for and the date it
 * must be destroyed ("4주 경과 시 파쇄", R-P1, R-O4): the day after 4 weeks
 * from its date, the first day that begins with every entry 4 weeks old —
 * the day the system's records of that date go too. The sheet content is
 * Korean whatever the UI language: it is the legal text visitors read.
 * Nothing here talks to the registry: the paper never reaches the system.
 */
import { SHRED_AFTER_DAYS } from "@kipass/shared/retention";
import { field, h } from "../dom.js";
import { t } from "../i18n.js";
import type { Page } from "../main.js";

const LOG_ROWS = 15;

const todayKst = () => new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10);
const isDate = (d: string) => /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`));
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
/** "2026-12-25" → "2026년 12월 25일" */
const koreanDate = (day: string) => {
  const [y, m, d] = day.split("-").map(Number);
  return `${y}년 ${m}월 ${d}일`;
};

/** The facility name is remembered on this device only (it is printed, never sent anywhere). */
const NAME_KEY = "kp-paper-facility";

/** Date and facility name controls (not printed) and the sheet they fill in. */
function printable(view: HTMLElement, title: string, draw: (sheet: HTMLElement, day: string, facility: string) => void): void {
  const day = h("input", { type: "date", value: todayKst(), required: true });
  const facility = h("input", { type: "text", maxlength: 60, value: localStorage.getItem(NAME_KEY) ?? "", autocomplete: "organization" });
  const sheet = h("article", { class: "sheet", lang: "ko" });
  const redraw = () => {
    if (!isDate(day.value)) return;
    localStorage.setItem(NAME_KEY, facility.value);
    sheet.replaceChildren();
    draw(sheet, day.value, facility.value.trim());
  };
  day.addEventListener("input", redraw);
  facility.addEventListener("input", redraw);
  view.append(
    h(
      "section",
      { class: "no-print" },
      h("h1", {}, title),
      h(
        "p",
        {},
        h("a", { href: "#/consent-form" }, t("paper.consentLink", "동의서 (양식1)")),
        " · ",
        h("a", { href: "#/paper-log" }, t("paper.logLink", "출입자 명부 (수기)")),
      ),
      h(
        "div",
        { class: "grid" },
        field("paper-day", t("paper.day", "명부 날짜"), day, t("paper.dayHint", "이 날짜로부터 4주가 지난 다음 날이 파기일입니다")),
        field("paper-facility", t("paper.facility", "시설명"), facility),
      ),
      h("p", {}, h("button", { type: "button", id: "paper-print", onclick: () => window.print() }, t("paper.print", "인쇄 (A4)"))),
    ),
    sheet,
  );
  redraw();
}

/** Date line and destruction date, on every sheet. */
function dates(day: string): HTMLElement {
  const destroy = addDays(day, SHRED_AFTER_DAYS);
  return h(
    "p",
    { class: "sheet-dates" },
    h("span", {}, "명부 날짜: ", h("strong", { "data-day": day }, koreanDate(day))),
    h("span", {}, "파기 예정일: ", h("strong", { class: "destroy-on", "data-destroy": destroy }, koreanDate(destroy)), " (4주 경과 시 파쇄 또는 소각)"),
  );
}

const table = (head: string[], rows: string[][]) =>
  h("table", { class: "sheet-table" }, h("thead", {}, h("tr", {}, ...head.map((c) => h("th", { scope: "col" }, c)))), h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))))));

/** 양식1: the consent text, as the guide gives it. */
export const consentFormPage: Page = (view) =>
  printable(view, t("paper.consentTitle", "개인정보 수집·이용, 제공 동의서 (양식1)"), (sheet, day, facility) => {
    sheet.append(
      h("p", { class: "sheet-form" }, "[양식1] 수기장부"),
      h("h2", {}, "개인정보 수집·이용, 제공 동의서"),
      dates(day),
      h(
        "p",
        {},
        h("strong", { class: "facility-name" }, facility || "(시설명)"),
        " 은 감염병 예방 및 감염 전파를 차단하기 위한 보건복지부의 정책에 따라 이용자의 개인정보를 수집·이용·제3자 제공합니다. 내용을 자세히 읽으신 후 동의여부를 결정하여 주십시오.",
      ),
      h("h3", {}, "개인정보 수집·이용"),
      table(["항목", "수집목적", "보유기간"], [["방문날짜, 방문시각, 이름, 전화번호", "감염병 예방 및 전파의 차단 및 역학조사", "4주"]]),
      h("p", { class: "note" }, "* 위의 개인정보 수집·이용에 대한 동의를 거부할 권리가 있습니다. 그러나 동의를 거부할 경우 시설을 이용하실 수 없습니다."),
      h("h3", {}, "개인정보 제3자 제공"),
      table(["제공받는 기관", "제공목적", "제공하는 항목", "보유기간"], [["질병관리본부", "감염병 예방 및 전파의 차단을 위한 역학조사", "방문날짜, 방문시각, 이름, 전화번호", "역학조사 종료 후 파기"]]),
      h("p", { class: "note" }, "* 위의 개인정보 제공에 대한 동의를 거부할 권리가 있습니다. 그러나 동의를 거부할 경우 당 시설을 이용할 수 없습니다."),
      h("p", { class: "note" }, "* 만14세 미만인 경우 법정대리인이 별도로 동의를 하여야 합니다."),
      h("h3", {}, "시설관리자의 개인정보 보호 의무"),
      h(
        "p",
        {},
        "- 이용자의 이름, 전화번호 등 수기명부에 작성한 개인정보에 대한 관리책임은 시설관리자 본인에게 있으며, 시설관리자는 평상시 별도 보관, 4주 후 파기 등 개인정보 유출을 막기 위한 조치를 취하여야 합니다.",
      ),
      h("p", {}, "- 전화번호 대신 QR 발급 앱(네이버, PASS, 카카오톡)에 표시되는 오늘의 개인안심번호(예: 12가34나)를 적을 수 있습니다."),
      h("p", {}, "- 수기명부는 시건장치가 있는 장소에 별도 보관하고, 질병관리본부나 지자체에서 역학조사 용도로 요구 시에만 제공하며, 그 외 목적으로 이용·제공하지 않습니다."),
    );
  });

/** The entry log: one sheet per day, so its destruction date is exact. */
export const paperLogPage: Page = (view) =>
  printable(view, t("paper.logTitle", "출입자 명부 (수기)"), (sheet, day, facility) => {
    const date = koreanDate(day);
    sheet.append(
      h("p", { class: "sheet-form" }, "[양식1] 수기장부 — 명부 양식"),
      h("h2", {}, `출입자 명부 — ${facility || "(시설명)"}`),
      dates(day),
      h(
        "p",
        { class: "note" },
        `이 명부에는 ${date} 하루의 방문만 적습니다. 이용자는 신분증 대조 후 개인정보 수집·이용, 제공 동의서(양식1)를 읽고 동의한 경우에만 아래 양식을 작성합니다. 전화번호 대신 개인안심번호(예: 12가34나)를 적을 수 있습니다.`,
      ),
      table(
        ["방문날짜", "방문시각", "이름", "전화번호 또는 개인안심번호", "동의 (서명)", "신분증 확인"],
        Array.from({ length: LOG_ROWS }, () => [date, "", "", "", "", ""]),
      ),
      h(
        "p",
        { class: "note" },
        "작성 시 다른 이용자의 개인정보를 볼 수 없도록 작성이 끝난 칸은 가려 주십시오. 명부는 시건장치가 있는 곳에 별도 보관하고, 파기 예정일에 파쇄 또는 안전한 장소에서 소각합니다. 방역당국(질병관리본부·지자체)이 역학조사 용도로 요구할 때에만 제공합니다.",
      ),
    );
  });
