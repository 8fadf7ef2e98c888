// What facility staff touch every day, in headless Chromium against the
// local stack (issue 6): register a facility → log in → add a staff device →
// open the scanner as that device, with Chromium's fake camera playing a QR
// freshly minted by an issuer; the page decodes it, the registry records it,
// the page confirms it and speaks. An expired QR and one already used at
// another facility get their own messages and record nothing. The dashboard
// shows the count in the right hour. Screenshots go to screenshots/.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importPartyKey, kstHour, mintToken, parseKeyRing, randomBytes } from "../../shared/src/index.js";
import { deployment, localUrl } from "../../scripts/deployments.js";
import { readDevVars } from "../../scripts/dev-vars.js";
import { addStaff, codeFromOutbox, enrolVisitor, login, mintQr, registerFacility, scanQr } from "../../scripts/people.js";
import { writeQrVideo } from "../qr-video.js";
import { CHROMIUM, CHROMIUM_ARGS as ARGS } from "./phone-browser.js";
import { startStack, type RunningStack } from "./run-stack.js";

const SHOTS = new URL("../../screenshots/", import.meta.url).pathname;
const ui = localUrl(deployment("scanner-ui"));
const registry = localUrl(deployment("registry"));
const naver = localUrl(deployment("naver"));


describe("scanner UI in Chromium", () => {
  let stack: RunningStack;
  let dir: string;
  const contexts: BrowserContext[] = [];
  const foreign: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    dir = mkdtempSync(join(tmpdir(), "kipass-scanner-"));
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh browser; with `qr`, its camera plays a video of that QR. */
  async function browser(name: string, qr?: string): Promise<Page> {
    const args = [...ARGS];
    if (qr) {
      const video = join(dir, `${name}.y4m`);
      writeQrVideo(video, qr);
      args.push("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", `--use-file-for-fake-video-capture=${video}`);
    }
    const context = await chromium.launchPersistentContext(join(dir, `profile-${name}`), {
      executablePath: CHROMIUM,
      args,
      viewport: { width: 1024, height: 768 },
      locale: "ko-KR",
      permissions: ["camera"],
    });
    contexts.push(context);
    // Speech synthesis in headless Chromium has no voices: give it a Korean one and record what is spoken.
    await context.addInitScript(() => {
      const spoken: string[] = [];
      Object.assign(window, { __spoken: spoken });
      const voice = { lang: "ko-KR", name: "test-ko", voiceURI: "test-ko", default: true, localService: true };
      speechSynthesis.getVoices = () => [voice as SpeechSynthesisVoice];
      speechSynthesis.speak = (u: SpeechSynthesisUtterance) => void spoken.push(u.text);
    });
    context.on("request", (r) => {
      const url = r.url();
      if (!url.startsWith(ui) && !url.startsWith(registry) && !url.startsWith("data:") && !url.startsWith("blob:")) foreign.push(url);
    });
    return context.pages()[0] ?? context.newPage();
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `scanner-ui-${name}.png`), fullPage: true });

  async function logIn(page: Page, loginId: string, password: string): Promise<void> {
    await page.goto(`${ui}/#/login`);
    await page.fill("#login-id", loginId);
    await page.fill("#login-password", password);
    await shot(page, "login");
    await page.click("button[type=submit]");
  }

  async function scanWithCamera(name: string, qr: string, loginId: string, password: string): Promise<{ state: string; spoken: string[]; page: Page }> {
    const page = await browser(name, qr);
    await logIn(page, loginId, password);
    await page.waitForURL(/#\/scan$/);
    await page.click("#start-scan");
    await page.waitForFunction(() => document.querySelector(".result")?.getAttribute("data-state") !== "ready", null, { timeout: 15_000 });
    const state = (await page.getAttribute(".result", "data-state")) ?? "";
    await shot(page, `scanner-${name}`);
    const spoken = (await page.evaluate(() => (window as unknown as { __spoken: string[] }).__spoken)) ?? [];
    return { state, spoken, page };
  }

  it("registers a facility, adds a device, scans a fresh QR from the camera and shows the count", { timeout: 120_000 }, async () => {
    const page = await browser("manager");
    await page.goto(`${ui}/#/register`);
    await page.check("#agree");
    await page.fill("#reg-phone", "010-5555-0001");
    await page.click("text=인증번호 받기");
    await page.waitForSelector("#reg-code", { state: "visible" }); // the code field opens once the registry has sent the SMS
    await page.fill("#reg-code", await codeFromOutbox(registry, "010-5555-0001"));
    await page.click("text=확인");
    await page.waitForSelector("text=휴대전화 인증이 완료되었습니다.");
    await page.fill("#reg-name", "용산 노래연습장");
    await page.fill("#reg-number", "124-81-00999");
    expect(await page.textContent("#reg-number-error")).toContain("검증번호"); // wrong check digit, caught before sending
    await page.fill("#reg-number", "124-81-00998");
    expect(await page.textContent("#reg-number-error")).toBe("");
    await page.fill("#reg-rep", "홍대표");
    await page.fill("#reg-biz-phone", "02-123-4567");
    await page.selectOption("#reg-industry", "karaoke");
    await page.fill("#reg-sido", "서울특별시");
    await page.fill("#reg-sigungu", "용산구");
    await page.fill("#reg-address", "서울특별시 용산구 이태원로 1");
    await page.fill("#reg-address-detail", "2층");
    await page.fill("#reg-login", "yongsan-owner");
    await page.fill("#reg-password", "owner-password-1");
    await shot(page, "register");
    await page.click("button[type=submit]");
    await page.waitForSelector("text=등록되었습니다");

    await logIn(page, "yongsan-owner", "owner-password-1");
    await page.waitForURL(/#\/dashboard$/);
    await page.goto(`${ui}/#/staff`);
    await page.fill("#staff-login", "yongsan-gate");
    await page.fill("#staff-password", "gate-password-1");
    await page.fill("#staff-description", "정문 입구 / main entrance");
    await page.click("form button[type=submit]");
    await page.waitForSelector("td:text('yongsan-gate')");
    await shot(page, "staff");

    const visitor = await enrolVisitor(naver, { name: "김방문", phone: "010-7777-0001", birthDate: "1990-01-01" });
    const { qr } = await mintQr(naver, visitor.credential);
    const scanned = await scanWithCamera("fresh", qr, "yongsan-gate", "gate-password-1");
    expect(scanned.state).toBe("ok");
    expect(await scanned.page.textContent(".result")).toContain("인증되었습니다");
    expect(scanned.spoken).toEqual(["인증되었습니다"]);
    expect(await scanned.page.getAttribute(".scanner", "data-decoder")).toBe("jsqr");
    // Held in front of the camera for several seconds, the same QR posts once.
    await scanned.page.waitForTimeout(2_500);
    expect(await scanned.page.evaluate(() => (window as unknown as { __spoken: string[] }).__spoken.length)).toBe(1);

    await page.goto(`${ui}/#/dashboard`);
    const hour = kstHour(Date.now());
    await page.waitForSelector(`#hourly-chart .bar-col[data-hour="${hour}"]`);
    expect(await page.getAttribute(`#hourly-chart .bar-col[data-hour="${hour}"]`, "data-visitors")).toBe("1");
    await shot(page, "dashboard");
  });

  it("shows an expired QR as expired and records nothing", { timeout: 60_000 }, async () => {
    const ring = parseKeyRing(readDevVars("naver").SIGNING_KEYS, "naver");
    const old = await mintToken({ issuer: "naver", kid: ring.current.kid, privateKey: await importPartyKey(ring.current, "private"), sealed: randomBytes(48), now: Date.now() - 60_000 });
    const scanned = await scanWithCamera("expired", old.qr, "yongsan-gate", "gate-password-1");
    expect(scanned.state).toBe("expired");
    expect(scanned.spoken).toEqual([]);
    const owner = await login(registry, "yongsan-owner", "owner-password-1");
    const counts = (await (await fetch(`${registry}/v1/facility/counts/hourly`, { headers: { authorization: `Bearer ${owner}` } })).json()) as { total: number };
    expect(counts.total).toBe(1);
  });

  it("says so when the QR was already used at another facility", { timeout: 60_000 }, async () => {
    await registerFacility(registry, { managerPhone: "010-5555-0002", loginId: "other-owner", password: "owner-password-2", businessName: "다른 시설", businessNumber: "220-81-62517", addressDetail: "1층" });
    const otherOwner = await login(registry, "other-owner", "owner-password-2");
    await addStaff(registry, otherOwner, "other-gate", "gate-password-2", "입구");
    const visitor = await enrolVisitor(naver, { name: "이방문", phone: "010-7777-0002", birthDate: "1985-03-03" });
    const { qr } = await mintQr(naver, visitor.credential);
    expect((await scanQr(registry, await login(registry, "other-gate", "gate-password-2"), qr)).status).toBe(200);
    const scanned = await scanWithCamera("used", qr, "yongsan-gate", "gate-password-1");
    expect(scanned.state).toBe("used");
    expect(await scanned.page.textContent(".result")).toContain("이미 다른 시설에서 사용된");
  });

  it("tells staff plainly when the network is down, and is ready for the next visitor within a second", { timeout: 60_000 }, async () => {
    const visitor = await enrolVisitor(naver, { name: "박방문", phone: "010-7777-0003", birthDate: "1991-02-02" });
    const { qr } = await mintQr(naver, visitor.credential);
    const page = await browser("offline", qr);
    await logIn(page, "yongsan-gate", "gate-password-1");
    await page.waitForURL(/#\/scan$/);
    await page.route(`${registry}/v1/scan`, (route) => route.abort("internetdisconnected"));
    await page.click("#start-scan");
    await page.waitForFunction(() => document.querySelector(".result")?.getAttribute("data-state") === "network", null, { timeout: 15_000 });
    expect(await page.textContent(".result")).toContain("네트워크");
    await shot(page, "scanner-offline");
    const shownAt = Date.now();
    await page.waitForFunction(() => document.querySelector(".result")?.getAttribute("data-state") === "ready", null, { timeout: 5_000 });
    expect(Date.now() - shownAt).toBeLessThan(1_500);
  });

  it("lets the local-government approver approve a facility registered without a number (R-F2)", { timeout: 60_000 }, async () => {
    const pending = await registerFacility(registry, { managerPhone: "010-5555-0003", loginId: "pending-owner", password: "owner-password-3", businessName: "번호없는 행사장", businessNumber: "none", addressDetail: "광장" });
    expect(pending.status).toBe("pending");
    const created = await fetch(`${registry}/v1/admin/approvers`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${readDevVars("registry").ADMIN_TOKEN}` },
      body: JSON.stringify({ loginId: "yongsan-approver", password: "approver-password", jurisdiction: { sido: "서울특별시", sigungu: "용산구" } }),
    });
    expect(created.status).toBe(201);
    const page = await browser("approver");
    await logIn(page, "yongsan-approver", "approver-password");
    await page.waitForURL(/#\/approver$/);
    const card = page.locator(`[data-facility="${pending.facilityId}"]`);
    await card.waitFor();
    await shot(page, "approver");
    await card.locator("button", { hasText: "승인" }).click();
    await card.waitFor({ state: "detached" });
    const owner = await login(registry, "pending-owner", "owner-password-3");
    await addStaff(registry, owner, "pending-gate", "gate-password-3", "광장 입구");
    const visitor = await enrolVisitor(naver, { name: "최방문", phone: "010-7777-0004", birthDate: "1992-02-02" });
    const { qr } = await mintQr(naver, visitor.credential);
    expect((await scanQr(registry, await login(registry, "pending-gate", "gate-password-3"), qr)).status).toBe(200);
  });

  it("opens though its first requests for the registry's address hang or fail, and says so plainly when it cannot get it", { timeout: 60_000 }, async () => {
    const page = await browser("flaky-config");
    const config = `${ui}/config.json`;
    // The first request hangs (never answered), the second gets the proxy's 503 page, the third goes through.
    let asked = 0;
    await page.route(config, (route) => {
      asked += 1;
      if (asked === 1) return;
      if (asked === 2) return route.fulfill({ status: 503, contentType: "text/plain", body: "Your worker restarted mid-request. Please try sending the request again." });
      return route.continue();
    });
    await page.goto(`${ui}/#/login`);
    await page.waitForSelector("#login-id", { timeout: 20_000 });
    // At least the two failures and one success; a slow cold answer can time out and be asked again.
    expect(asked).toBeGreaterThanOrEqual(3);
    await page.unroute(config);

    // Unreachable for good: a message that says what to do, and a button that tries again.
    await page.route(config, (route) => route.abort("connectionrefused"));
    await page.reload();
    const alert = page.locator(".notice.bad");
    await alert.waitFor({ timeout: 20_000 });
    expect(await alert.textContent()).toContain("출입명부 서버에 연결할 수 없습니다");
    expect(await page.locator("#login-id").count()).toBe(0);
    await shot(page, "config-unavailable");
    await page.unroute(config);
    await page.click("#retry-config");
    await page.waitForSelector("#login-id", { timeout: 20_000 });
  });

  it("loaded nothing from anywhere but the scanner UI and the registry", () => {
    expect(foreign).toEqual([]);
  });
});
