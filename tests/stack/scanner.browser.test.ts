// What facility staff touch every day, in headless Chromium against the
// local stack (issue 6): register a facility → log in → add a staff device →
// open the scanner as that device, with Chromium's fake camera playing a QR
// freshly minted by an issuer; the page decodes it, the registry records it,
// the page confirms it and speaks. An expired QR and one already used at
// another facility get their own messages and record nothing. The dashboard
// shows the count in the right hour. With the registry's answers routed: a
// hung scan, a device logged out, server failures and a stopped collection
// each get their own state, never "not a valid QR"; a held QR posts once.
// The manager's and approver's pages say in words what failed (offline, a
// server's error page), show the registry's message in the UI's language
// only, and refuse a registration without a verified phone or a rejection
// without a reason before sending anything. A representative opens the SMS
// link about a registration under their number and reports it (R-F3).
// Screenshots go to screenshots/.
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
    // What the scanner showed, in order ("state: text"), and every camera stream the page was given.
    await context.addInitScript(() => {
      const shown: string[] = [];
      const streams: MediaStream[] = [];
      Object.assign(window, { __shown: shown, __streams: streams });
      new MutationObserver((records) => {
        for (const r of records) if (r.target instanceof HTMLElement && r.target.classList.contains("result")) shown.push(`${r.target.dataset.state ?? ""}: ${r.target.textContent ?? ""}`);
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-state"] });
      const media = navigator.mediaDevices;
      const open = media.getUserMedia.bind(media);
      media.getUserMedia = async (constraints) => {
        const stream = await open(constraints);
        streams.push(stream);
        return stream;
      };
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

  const scanUrl = `${registry}/v1/scan`;

  /** Every registration field after the phone, with a valid business number. */
  async function fillFacility(page: Page, loginId: string, password: string): Promise<void> {
    await page.fill("#reg-name", "용산 노래연습장");
    await page.fill("#reg-number", "124-81-00998");
    await page.fill("#reg-rep", "홍대표");
    await page.fill("#reg-biz-phone", "02-123-4567");
    await page.selectOption("#reg-industry", "karaoke");
    await page.selectOption("#reg-sido", "서울특별시");
    await page.selectOption("#reg-sigungu", "용산구");
    await page.fill("#reg-address", "서울특별시 용산구 이태원로 1");
    await page.fill("#reg-address-detail", "2층");
    await page.fill("#reg-login", loginId);
    await page.fill("#reg-password", password);
  }

  /** The first test's owner, logged in; `before` runs first (to route the registry's answers). */
  async function owner(name: string, before?: (page: Page) => Promise<unknown>): Promise<Page> {
    const page = await browser(name);
    await before?.(page);
    await logIn(page, "yongsan-owner", "owner-password-1");
    await page.waitForURL(/#\/dashboard$/);
    return page;
  }

  /** The text of the page's first error notice, once there is one. */
  async function alertText(page: Page): Promise<string> {
    const alert = page.locator(".notice.bad").first();
    await alert.waitFor({ timeout: 15_000 });
    return (await alert.textContent()) ?? "";
  }

  /** A staff device's scanner page, logged in, not started yet; `init` runs in the page before its own scripts. */
  async function scanner(name: string, qr: string | undefined, loginId = "yongsan-gate", password = "gate-password-1", init?: () => void): Promise<Page> {
    const page = await browser(name, qr);
    if (init) await page.addInitScript(init);
    await logIn(page, loginId, password);
    await page.waitForURL(/#\/scan$/);
    return page;
  }

  /** Closes a finished test's browser: every open scanner decodes camera frames, and this machine has few cores. */
  const done = (...pages: Page[]) => Promise.all(pages.map((p) => p.context().close()));
  const shown = (page: Page) => page.evaluate(() => (window as unknown as { __shown: string[] }).__shown);
  const liveTracks = (page: Page) =>
    page.evaluate(() => (window as unknown as { __streams: MediaStream[] }).__streams.flatMap((s) => s.getTracks()).filter((tr) => tr.readyState === "live").length);
  const stateIs = (page: Page, state: string, timeout = 15_000) =>
    page.waitForFunction((want) => document.querySelector(".result")?.getAttribute("data-state") === want, state, { timeout });
  /** A registry refusal as the registry words it. */
  const refusal = (status: number, code: string, message: string) => ({ status, contentType: "application/json", body: JSON.stringify({ error: { code, message } }) });

  async function scanWithCamera(name: string, qr: string, loginId: string, password: string): Promise<{ state: string; spoken: string[]; page: Page }> {
    const page = await scanner(name, qr, loginId, password);
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
    await page.fill("#reg-number", "124-81-00999");
    expect(await page.textContent("#reg-number-error")).toContain("검증번호"); // wrong check digit, caught before sending
    // 시·군·구 is chosen from the chosen 시·도's own list (R-F2: the name its approver has).
    const districts = () => page.$$eval("#reg-sigungu option", (options) => options.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
    expect(await districts()).toEqual([]);
    await page.selectOption("#reg-sido", "부산광역시");
    expect(await districts()).toContain("해운대구");
    expect(await districts()).not.toContain("용산구");
    await fillFacility(page, "yongsan-owner", "owner-password-1");
    expect(await page.textContent("#reg-number-error")).toBe("");
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
    await done(scanned.page);

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
    await done(scanned.page);
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
    await done(scanned.page);
  });

  it("tells staff plainly when the network is down, and is ready for the next visitor within a second", { timeout: 60_000 }, async () => {
    const visitor = await enrolVisitor(naver, { name: "박방문", phone: "010-7777-0003", birthDate: "1991-02-02" });
    const { qr } = await mintQr(naver, visitor.credential);
    const page = await scanner("offline", qr);
    await page.route(scanUrl, (route) => route.abort("internetdisconnected"));
    await page.click("#start-scan");
    await stateIs(page, "network");
    expect(await page.textContent(".result")).toContain("네트워크");
    await shot(page, "scanner-offline");
    const shownAt = Date.now();
    await stateIs(page, "ready", 5_000);
    expect(Date.now() - shownAt).toBeLessThan(1_500);
    // The network is back: the same QR, still held up, goes through.
    await page.unroute(scanUrl);
    await stateIs(page, "ok");
    await done(page);
  });

  it("gives up on a scan the registry never answers and says network, not ready forever", { timeout: 60_000 }, async () => {
    const page = await scanner("stalled", "KP-stalled-scan");
    await page.route(scanUrl, () => undefined); // never answered
    await page.click("#start-scan");
    await page.waitForRequest(scanUrl);
    const postedAt = Date.now();
    await stateIs(page, "network", 20_000);
    expect(Date.now() - postedAt).toBeGreaterThan(8_000);
    expect(await page.textContent(".result")).toContain("네트워크");
    await done(page);
  });

  it("sends a device the registry no longer knows to the login page, session cleared and camera off", { timeout: 60_000 }, async () => {
    const page = await scanner("logged-out", "KP-after-session-end");
    await page.route(scanUrl, (route) => route.fulfill(refusal(401, "session_invalid", "다시 로그인하세요 / Session expired: log in again")));
    await page.click("#start-scan");
    await page.waitForURL(/#\/login/, { timeout: 15_000 });
    await page.waitForSelector("#login-id");
    expect(await page.evaluate(() => localStorage.getItem("kp-session"))).toBeNull();
    expect(await page.textContent(".notice.bad")).toContain("로그아웃되었습니다");
    expect(await liveTracks(page)).toBe(0);
    expect(await page.evaluate(() => document.body.classList.contains("kiosk"))).toBe(false);
    await shot(page, "scanner-logged-out");
    await done(page);
  });

  it("tells the registry's own failures and a stopped collection apart from a bad QR, and retries only what may change", { timeout: 90_000 }, async () => {
    const page = await scanner("server-failures", "KP-server-failures");
    const answers = [
      refusal(503, "issuer_keys_unavailable", "발급기관의 키를 가져오지 못했습니다. 잠시 후 다시 스캔하세요 / The issuer's keys cannot be fetched right now: scan again shortly"),
      { status: 502, contentType: "text/html", body: "<html><body>Bad Gateway</body></html>" },
      refusal(500, "internal", "내부 오류 / Internal error"),
      refusal(409, "day_closed", "기록할 수 없는 날짜입니다 / That day is closed for records"),
      refusal(403, "collection_suspended", "감염병 위기경보 '주의' 단계에서는 출입명부를 수집하지 않습니다 (경계·심각 단계에서만 운영) / Entry logging is suspended at alert level 주의"),
    ];
    let posts = 0;
    await page.route(scanUrl, (route) => route.fulfill(answers[Math.min(posts++, answers.length - 1)]!));
    await page.click("#start-scan");
    await stateIs(page, "collection_stopped", 45_000);
    await shot(page, "scanner-collection-stopped");
    await page.waitForTimeout(6_000); // a stopped collection is a final answer for this QR
    expect(posts).toBe(answers.length);
    const answered = (await shown(page)).filter((x) => !x.startsWith("ready:"));
    expect(answered.map((x) => x.split(":")[0])).toEqual(["unavailable", "unavailable", "unavailable", "unavailable", "collection_stopped"]);
    for (const x of answered) expect(x).not.toContain("유효한 출입");
    expect(answered[0]).toContain("잠시 후 다시 스캔");
    expect(answered[4]).toContain("'주의' 단계");
    await done(page);
  });

  it("shows the registry's reason for a QR from a phone whose clock is wrong, and calls only a bad QR invalid", { timeout: 60_000 }, async () => {
    const clock = await scanner("not-yet-valid", "KP-future-token");
    await clock.route(scanUrl, (route) => route.fulfill(refusal(422, "not_yet_valid", "아직 유효하지 않은 QR입니다. 기기 시간을 확인하세요 / QR not valid yet: check the device clock")));
    await clock.click("#start-scan");
    await stateIs(clock, "not_yet_valid");
    expect(await clock.textContent(".result")).not.toContain("유효한 출입");
    expect(await clock.textContent(".result small")).toBe("아직 유효하지 않은 QR입니다. 기기 시간을 확인하세요");
    const forged = await scanner("bad-signature", "KP-forged");
    await forged.route(scanUrl, (route) => route.fulfill(refusal(422, "bad_signature", "위조되었거나 손상된 QR입니다 / QR signature does not verify")));
    await forged.click("#start-scan");
    await stateIs(forged, "invalid");
    expect(await forged.textContent(".result")).toContain("유효한 출입 QR 코드가 아닙니다");
    await done(clock, forged);
  });

  it("says the camera cannot be opened when it cannot, not that the QR is invalid", { timeout: 60_000 }, async () => {
    const page = await scanner("no-camera", undefined, undefined, undefined, () => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
    });
    await page.click("#start-scan");
    await stateIs(page, "camera");
    expect(await page.textContent(".result")).toContain("카메라를 열 수 없습니다");
    expect(await page.textContent(".result")).not.toContain("유효한 출입");
    await done(page);
  });

  it("turns off a camera that opens only after staff left the scanner", { timeout: 60_000 }, async () => {
    const page = await scanner("slow-camera", "KP-slow-camera", undefined, undefined, () => {
      const media = navigator.mediaDevices;
      const open = media.getUserMedia.bind(media);
      media.getUserMedia = async (constraints) => {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        return open(constraints);
      };
    });
    await page.click("#start-scan");
    await page.click("text=나가기");
    await page.waitForFunction(() => (window as unknown as { __streams: MediaStream[] }).__streams.length > 0, null, { timeout: 10_000 });
    await page.waitForTimeout(500);
    expect(await liveTracks(page)).toBe(0);
    await done(page);
  });

  it("posts a QR held in front of the camera once, and never tells its admitted visitor it expired", { timeout: 60_000 }, async () => {
    const visitor = await enrolVisitor(naver, { name: "정방문", phone: "010-7777-0005", birthDate: "1993-03-03" });
    const { qr } = await mintQr(naver, visitor.credential);
    const page = await scanner("held", qr);
    let posts = 0;
    page.on("request", (r) => void (r.url() === scanUrl && r.method() === "POST" && (posts += 1)));
    await page.click("#start-scan");
    await stateIs(page, "ok");
    // Past the token's 15 s and the registry's 5 s of skew: a re-post now would be answered "expired".
    await page.waitForTimeout(21_000);
    expect(posts).toBe(1);
    expect((await shown(page)).filter((x) => !x.startsWith("ready:")).map((x) => x.split(":")[0])).toEqual(["ok"]);
    expect(await page.evaluate(() => (window as unknown as { __spoken: string[] }).__spoken)).toEqual(["인증되었습니다"]);
    await done(page);
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

  it("lets the first representative open the SMS link, see the registration under their number and report it (R-F3)", { timeout: 60_000 }, async () => {
    const number = "314-81-01232";
    await registerFacility(registry, { managerPhone: "010-5555-0005", loginId: "first-owner", password: "owner-password-5", businessName: "원조 노래방", businessNumber: number, addressDetail: "1층" });
    // Markup in a business name is shown as text on the page, never run or rendered.
    const lure = "<img src=x onerror=alert(1)>수상한 지점";
    const bogus = await registerFacility(registry, { managerPhone: "010-5555-0006", loginId: "bogus-owner", password: "owner-password-6", businessName: lure, businessNumber: number, addressDetail: "지하 1층" });
    await addStaff(registry, await login(registry, "bogus-owner", "owner-password-6"), "bogus-gate", "gate-password-6", "입구");
    const { messages } = (await (await fetch(`${registry}/dev/outbox?phone=010-5555-0005`)).json()) as { messages: { text: string }[] };
    const link = /(http\S+\/#\/report\?\S+)$/.exec(messages[0]!.text)![1]!;
    expect(link.startsWith(`${ui}/`)).toBe(true);

    const page = await browser("report");
    await page.goto(link);
    const card = page.locator("[data-reported]");
    await card.waitFor();
    expect(await card.locator("h2").textContent()).toBe(lure);
    expect(await card.textContent()).toContain("지하 1층");
    expect(await page.locator("img").count()).toBe(0);
    await shot(page, "report");
    await page.click("button.danger");
    const ok = page.locator(".notice.ok");
    await ok.waitFor();
    expect(await ok.textContent()).toMatch(/^신고가 접수되어/);
    const visitor = await enrolVisitor(naver, { name: "정방문", phone: "010-7777-0006", birthDate: "1990-06-06" });
    const { qr } = await mintQr(naver, visitor.credential);
    expect(await scanQr(registry, await login(registry, "bogus-gate", "gate-password-6"), qr)).toMatchObject({ status: 403, body: { error: { code: "facility_suspended" } } });
    // The link works once: opened again, it says so.
    await page.goto(`${ui}/#/`);
    await page.goto(link);
    expect(await alertText(page)).toBe("신고 코드가 없거나 이미 사용되었습니다");
    expect(bogus.status).toBe("active");
    await done(page);
  });

  it("tells a manager offline that the network is down, not the bare word network", { timeout: 60_000 }, async () => {
    const page = await owner("staff-offline", (p) => p.route(`${registry}/v1/facility/staff`, (route) => route.abort()));
    await page.goto(`${ui}/#/staff`);
    expect(await alertText(page)).toBe("네트워크에 연결되어 있지 않습니다. Wi-Fi 또는 모바일 데이터를 확인하세요.");
    await shot(page, "staff-offline");
    await done(page);
  });

  it("says the server has a problem when the counts come back as a proxy's error page, not an empty box", { timeout: 60_000 }, async () => {
    const page = await owner("dashboard-502", (p) =>
      p.route((url) => url.pathname === "/v1/facility/counts/hourly", (route) => route.fulfill({ status: 502, contentType: "text/html", body: "<html><body>Bad Gateway</body></html>" })),
    );
    expect(await alertText(page)).toBe("서버에 일시적인 문제가 있습니다. 잠시 후 다시 시도해 주세요.");
    await shot(page, "dashboard-502");
    await done(page);
  });

  it("shows a manager using the UI in English only the English half of the registry's message", { timeout: 60_000 }, async () => {
    const page = await owner("staff-english");
    await page.click("#lang");
    await page.goto(`${ui}/#/staff`);
    await page.waitForSelector("h1:text('Staff and entrance devices')");
    await page.fill("#staff-login", "yongsan-gate"); // taken: "이미 사용 중인 아이디입니다 / That ID is taken"
    await page.fill("#staff-password", "gate-password-9");
    await page.fill("#staff-description", "side door");
    await page.click("form button[type=submit]");
    expect(await alertText(page)).toBe("That ID is taken");
    await done(page);
  });

  it("refuses to register before the phone is verified, and sends nothing", { timeout: 60_000 }, async () => {
    const page = await browser("register-unverified");
    const posted: string[] = [];
    page.on("request", (r) => void (r.method() === "POST" && posted.push(r.url())));
    await page.goto(`${ui}/#/register`);
    await page.check("#agree");
    await page.fill("#reg-phone", "010-5555-0009");
    await fillFacility(page, "unverified-owner", "owner-password-9");
    await page.click("button[type=submit]");
    expect(await alertText(page)).toBe("휴대전화 인증을 먼저 해 주세요.");
    await page.waitForTimeout(500);
    expect(posted).toEqual([]);
    await done(page);
  });

  it("asks the approver for a reason before rejecting, and sends nothing without one", { timeout: 60_000 }, async () => {
    const pending = await registerFacility(registry, { managerPhone: "010-5555-0004", loginId: "unreasoned-owner", password: "owner-password-4", businessName: "사유 없는 거절", businessNumber: "none", addressDetail: "2층 강당" });
    const page = await browser("approver-no-reason");
    const decisions: string[] = [];
    page.on("request", (r) => void (r.url().endsWith("/decision") && decisions.push(r.url())));
    await logIn(page, "yongsan-approver", "approver-password");
    await page.waitForURL(/#\/approver$/);
    const card = page.locator(`[data-facility="${pending.facilityId}"]`);
    for (const reason of ["", "   "]) {
      await card.locator("input").fill(reason);
      await card.locator("button", { hasText: "거절" }).click();
      expect(await alertText(page)).toBe("거절하려면 사유를 입력해 주세요.");
    }
    await page.waitForTimeout(500);
    expect(decisions).toEqual([]);
    expect(await card.count()).toBe(1);
    await shot(page, "approver-no-reason");
    await done(page);
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
