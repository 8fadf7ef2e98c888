// Relay resistance in the wallet (docs/threat-model.md): the wallet shows a
// QR; its screenshot, sent on, is scanned at a facility by someone else; the
// wallet — asking the registry, never the issuer — shows "사용됨 / used at
// hh:mm" within about a second, so the holder notices the forwarded QR.
// Headless Chromium against the naver issuer and the registry, each its own
// `wrangler dev`.
import { mkdirSync } from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrolVisitor, login, registerFacility, scanQr, validBusinessNumber } from "../../scripts/people.js";
import { startIssuer, type RunningIssuer } from "../issuer-dev.js";
import { phoneBrowser, type PhoneBrowser } from "./phone-browser.js";

const SHOTS = new URL("../../screenshots/", import.meta.url).pathname;

describe("wallet relay check in Chromium", () => {
  let issuer: RunningIssuer;
  let registry: RunningIssuer;
  let context: BrowserContext;
  let page: Page;
  let browser: PhoneBrowser;

  beforeAll(async () => {
    [issuer, registry] = await Promise.all([startIssuer("naver"), startIssuer("registry")]);
    // The wallet talks to its issuer and, for the relay check, to the registry; nothing else.
    browser = await phoneBrowser([issuer.url, registry.url]);
    context = browser.context;
    page = await context.newPage();
    mkdirSync(SHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([issuer?.stop(), registry?.stop()]);
  });

  it("shows 사용됨 with the time within about a second of someone else scanning the forwarded QR", { timeout: 90_000 }, async () => {
    const suffix = String(Date.now()).slice(-8);
    const { credential } = await enrolVisitor(issuer.url, { name: "김중계", phone: `010${suffix}`, birthDate: "1990-01-01" });
    const f = { managerPhone: `011${suffix}`, loginId: `relay${suffix}`, password: "relay password 1", businessName: "이태원 클럽", businessNumber: validBusinessNumber(suffix.padStart(9, "1").slice(0, 9)), addressDetail: "1층", industry: "club" };
    await registerFacility(registry.url, f);
    const device = await login(registry.url, f.loginId, f.password);

    // The holder opens the wallet (already enrolled on this phone).
    const registryCalls: string[] = [];
    page.on("request", (r) => (r.url().startsWith(registry.url) ? registryCalls.push(r.url()) : undefined));
    await page.goto(issuer.url);
    await page.evaluate((c) => localStorage.setItem("kipass.naver.credential", c), credential);
    await page.reload();
    await expect.poll(() => page.locator("#qr-image").getAttribute("data-qr"), { timeout: 20_000 }).toMatch(/^KP1:/);
    const qr = (await page.locator("#qr-image").getAttribute("data-qr"))!;
    expect(await page.locator("#qr-used").isHidden()).toBe(true);

    // Someone else scans the screenshot at a facility.
    const scanned = await scanQr(registry.url, device, qr);
    expect(scanned.status).toBe(200);
    const t0 = Date.now();
    await page.locator("#qr-used").waitFor({ state: "visible", timeout: 5_000 });
    const noticedMs = Date.now() - t0;
    expect(noticedMs).toBeLessThan(1_500);
    const text = (await page.locator("#qr-used").textContent())!;
    expect(text).toMatch(/^사용됨 · \d{2}:\d{2}/);
    expect(text).not.toContain(f.businessName); // a time, never the place
    expect(await page.locator("#qr-image svg").count()).toBe(0); // the used QR is gone
    expect(await page.locator("#regenerate").isVisible()).toBe(true);
    await page.screenshot({ path: `${SHOTS}wallet-5-used.png`, fullPage: true });

    // The wallet asked the registry only about its token, with no cookie or identifier, and stops asking once told.
    expect(registryCalls.every((u) => u === `${registry.url}/wallet/v1/token-status`)).toBe(true);
    const asked = registryCalls.length;
    await page.waitForTimeout(1_500);
    expect(registryCalls.length).toBe(asked);
  });
});
