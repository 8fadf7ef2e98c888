// Paper logs (R-P1, R-U6), over real HTTP between the wrangler dev processes
// and in headless Chromium:
// - a visitor enrols at an issuer, reads today's safe number from the wallet
//   API, sees the same number on the wallet page; an investigator resolves it
//   within a case at the authority (API and investigator page), which asks
//   every issuer with signed requests, to the right name and phone;
// - a facility manager opens the printable consent form (양식1) and entry log
//   from their pages, picks the log's date, and prints (print media): the
//   Korean title, the guide's columns, and the destruction date: the first day
//   every entry of the chosen date is 4 weeks old (date + 29, as the system's
//   records); the log fits one A4 page; nothing from another origin.
// Screenshots go to screenshots/.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kstDay } from "../../shared/src/index.js";
import { deployment, localUrl } from "../../scripts/deployments.js";
import { readDevVars } from "../../scripts/dev-vars.js";
import { enrolVisitor, registerFacility } from "../../scripts/people.js";
import { CHROMIUM, CHROMIUM_ARGS as ARGS } from "./phone-browser.js";
import { startStack, type RunningStack } from "./run-stack.js";

const SHOTS = new URL("../../screenshots/", import.meta.url).pathname;
const url = (env: string) => localUrl(deployment(env));
const ui = url("scanner-ui");
const naver = url("naver");
const authority = url("authority");

describe("paper logs: safe numbers and printable sheets", () => {
  let stack: RunningStack;
  let dir: string;
  const contexts: BrowserContext[] = [];
  const foreign: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    dir = mkdtempSync(join(tmpdir(), "kipass-paper-"));
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function browser(name: string, allowed: string[]): Promise<Page> {
    const context = await chromium.launchPersistentContext(join(dir, `profile-${name}`), {
      executablePath: CHROMIUM,
      args: ARGS,
      viewport: { width: 1024, height: 900 },
      locale: "ko-KR",
    });
    contexts.push(context);
    context.on("request", (r) => {
      if (!allowed.some((origin) => r.url().startsWith(origin)) && !r.url().startsWith("data:")) foreign.push(r.url());
    });
    return context.pages()[0] ?? context.newPage();
  }

  it("resolves a visitor's safe number through the authority within a case, to the right person", { timeout: 120_000 }, async () => {
    const visitor = await enrolVisitor(naver, { name: "한수기", phone: "010-4321-0001", birthDate: "1970-03-01" });
    await enrolVisitor(url("kakao"), { name: "다른이", phone: "010-4321-0002", birthDate: "1980-04-02" });
    const res = await fetch(`${naver}/api/v1/safe-number`, { headers: { authorization: `Bearer ${visitor.credential}` } });
    expect(res.status).toBe(200);
    const { safeNumber, day } = (await res.json()) as { safeNumber: string; day: string };
    expect(safeNumber).toMatch(/^[0-9]{2}[가-힣][0-9]{2}[가-힣]$/);
    expect(day).toBe(kstDay(Date.now()));

    // The wallet page shows the same number under the QR.
    const page = await browser("wallet", [naver, url("registry")]); // the wallet asks the registry whether its QR was used (relay check)
    await page.goto(naver);
    await page.evaluate((c) => localStorage.setItem("kipass.naver.credential", c), visitor.credential);
    await page.reload();
    await page.waitForSelector("#safe-number-box:not([hidden])");
    expect(await page.textContent("#safe-number")).toBe(safeNumber);
    expect(await page.textContent("#safe-number-box")).toContain("오늘의 개인안심번호");
    await page.screenshot({ path: join(SHOTS, "wallet-safe-number.png"), fullPage: true });

    // An investigator, within a case.
    const boot = await fetch(`${authority}/api/bootstrap`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${readDevVars("authority").BOOTSTRAP_TOKEN}` },
      body: JSON.stringify({ id: "sup-paper", name: "수기 감독", role: "supervisor", password: "paper log password" }),
    });
    expect(boot.status).toBe(201);
    const { token } = (await (
      await fetch(`${authority}/api/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: "sup-paper", password: "paper log password" }) })
    ).json()) as { token: string };
    const api = (path: string, body: unknown) =>
      fetch(authority + path, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    expect((await api("/api/cases", { id: "case-paper", title: "수기명부 확인" })).status).toBe(201);
    const written = `${safeNumber.slice(0, 3)} ${safeNumber.slice(3)}`; // as copied from the paper
    const resolved = await api("/api/cases/case-paper/safe-numbers", { safeNumbers: [written], from: day });
    expect(resolved.status).toBe(200);
    const body = (await resolved.json()) as { status: string; failures: unknown[]; matches: { issuer: string; name: string; phone: string; day: string; safeNumber: string }[] };
    expect(body.status).toBe("complete"); // all three issuers answered
    expect(body.failures).toEqual([]);
    expect(body.matches).toContainEqual({ safeNumber, day, issuer: "naver", name: "한수기", phone: "01043210001" });
    expect(body.matches.every((m) => m.safeNumber === safeNumber)).toBe(true);
    // Without a case, nothing is asked.
    expect((await api("/api/cases/no-such-case/safe-numbers", { safeNumbers: [safeNumber], from: day })).status).toBe(404);

    // The same from the investigator page.
    const inv = await browser("investigator", [authority]);
    await inv.goto(authority);
    await inv.fill("#login-id", "sup-paper");
    await inv.fill("#login-pw", "paper log password");
    await inv.click("#login button[type=submit]");
    await inv.waitForSelector("#work-view:not([hidden])");
    await inv.selectOption("#case-select", "case-paper");
    await inv.fill("#safe-numbers", written);
    await inv.fill("#safe-day", day);
    await inv.click("#safe button[type=submit]");
    await inv.waitForSelector("#safe-result table");
    expect(await inv.locator("#safe-result tbody tr", { hasText: "naver" }).locator("td").allTextContents()).toEqual([safeNumber, day, "한수기", "01043210001", "naver"]);
    await inv.screenshot({ path: join(SHOTS, "authority-safe-number.png"), fullPage: true });
  });

  it("prints the consent form (양식1) and the entry log in Korean, with the destruction date the day after 4 weeks from the chosen date", { timeout: 120_000 }, async () => {
    await registerFacility(url("registry"), { managerPhone: "010-4321-1001", loginId: "paper-owner", password: "owner-password-9", businessName: "수기 노래연습장", businessNumber: "124-81-00998", addressDetail: "3층" });
    const page = await browser("manager", [ui, url("registry")]);
    await page.goto(`${ui}/#/login`);
    await page.fill("#login-id", "paper-owner");
    await page.fill("#login-password", "owner-password-9");
    await page.click("button[type=submit]");
    await page.waitForURL(/#\/dashboard$/);

    // Linked from the manager's pages.
    await page.click("nav a[href='#/paper-log']");
    await page.waitForSelector(".sheet");
    expect(await page.inputValue("#paper-day")).toBe(kstDay(Date.now())); // default: today, KST
    await page.fill("#paper-facility", "수기 노래연습장");
    await page.fill("#paper-day", "2026-12-01");
    await page.emulateMedia({ media: "print" });
    await page.waitForFunction(() => document.fonts.status === "loaded");

    const log = page.locator(".sheet");
    expect(await log.locator("h2").textContent()).toBe("출입자 명부 — 수기 노래연습장");
    expect(await log.locator("thead th").allTextContents()).toEqual(["방문날짜", "방문시각", "이름", "전화번호 또는 개인안심번호", "동의 (서명)", "신분증 확인"]);
    expect(await log.locator("tbody tr").count()).toBe(15);
    expect(await log.locator("tbody tr:first-child td:first-child").textContent()).toBe("2026년 12월 1일");
    expect(await log.locator(".destroy-on").getAttribute("data-destroy")).toBe("2026-12-30");
    expect(await log.locator(".destroy-on").textContent()).toBe("2026년 12월 30일");
    // Only the sheet prints: the header bar and the controls are hidden under print media.
    expect(await page.isVisible("header.bar")).toBe(false);
    expect(await page.isVisible("#paper-print")).toBe(false);
    expect(await page.evaluate(() => document.fonts.check("16px 'Noto Sans KR'", "출입자 명부"))).toBe(true);
    await page.screenshot({ path: join(SHOTS, "paper-log-print.png"), fullPage: true });
    const pdf = await page.pdf({ format: "A4", preferCSSPageSize: true });
    expect(pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g)).toHaveLength(1); // one A4 page

    // The consent form, across a month end.
    await page.emulateMedia({ media: "screen" });
    await page.click("a[href='#/consent-form']");
    await page.waitForSelector(".sheet h2");
    await page.fill("#paper-day", "2027-01-20");
    await page.emulateMedia({ media: "print" });
    const form = page.locator(".sheet");
    expect(await form.locator("h2").textContent()).toBe("개인정보 수집·이용, 제공 동의서");
    expect(await form.textContent()).toContain("[양식1] 수기장부");
    expect(await form.locator(".facility-name").textContent()).toBe("수기 노래연습장"); // remembered on this device
    expect(await form.locator("table").first().locator("th").allTextContents()).toEqual(["항목", "수집목적", "보유기간"]);
    expect(await form.locator("table").nth(1).locator("th").allTextContents()).toEqual(["제공받는 기관", "제공목적", "제공하는 항목", "보유기간"]);
    expect(await form.textContent()).toContain("만14세 미만인 경우 법정대리인이 별도로 동의를 하여야 합니다.");
    expect(await form.locator(".destroy-on").textContent()).toBe("2027년 2월 18일");
    await page.screenshot({ path: join(SHOTS, "consent-form-print.png"), fullPage: true });

    expect(foreign).toEqual([]);
  });
});
