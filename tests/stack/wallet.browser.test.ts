// The wallet in headless Chromium (Debian chromium, driven by playwright-core)
// against one issuer under `wrangler dev`: the first-time flow with the code
// read from the dev SMS outbox, the live 15-second countdown, the automatic
// regenerations (Naver: 2), then the "재생성 / Regenerate" button; offline,
// a clear message instead of a stale QR; the device credential re-used after
// a reload (R-U2, R-U4).
import { mkdirSync } from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJwks, verifyToken } from "../../shared/src/index.js";
import { deployment, localUrl } from "../../scripts/deployments.js";
import { codeFromOutbox, startIssuer, type RunningIssuer } from "../issuer-dev.js";
import { phoneBrowser, type PhoneBrowser } from "./phone-browser.js";

const SHOTS = new URL("../../screenshots/", import.meta.url).pathname;
const AUTO_REGENERATIONS = 2; // [env.naver] QR_AUTO_REGENERATIONS

describe("wallet page in Chromium", () => {
  let issuer: RunningIssuer;
  let context: BrowserContext;
  let page: Page;
  let browser: PhoneBrowser;

  beforeAll(async () => {
    issuer = await startIssuer("naver");
    // Nothing may load from anywhere but the issuer itself (no CDN).
    browser = await phoneBrowser([issuer.url]);
    context = browser.context;
    page = await context.newPage();
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await issuer?.stop();
  });

  const shownQr = () => page.locator("#qr-image").getAttribute("data-qr");
  const secondsLeft = async () => Number(/(\d+)/.exec((await page.locator("#countdown").textContent()) ?? "")?.[1] ?? NaN);

  it("walks a first-time user through consent and SMS verification to a QR", { timeout: 60_000 }, async () => {
    const external: string[] = [];
    // Besides its issuer, the wallet may only ask the registry whether its QR was scanned (relay.browser.test.ts).
    const registry = localUrl(deployment("registry"));
    page.on("request", (r) => (r.url().startsWith(issuer.url) || r.url() === `${registry}/wallet/v1/token-status` ? undefined : external.push(r.url())));
    await page.goto(issuer.url);
    await expect.poll(() => page.locator("#consent").isVisible()).toBe(true);
    expect(await page.locator("#consent h2").textContent()).toContain("개인정보 수집·이용");
    expect(await page.locator("#consent-next").isDisabled()).toBe(true);
    const boxes = page.locator("#consent-texts input[type=checkbox]");
    expect(await boxes.count()).toBe(2); // collection/use and third-party, separately (R-U2)
    await boxes.nth(0).check();
    expect(await page.locator("#consent-next").isDisabled()).toBe(true);
    await page.locator("#consent-texts input[type=checkbox]").nth(1).check();
    await page.screenshot({ path: `${SHOTS}wallet-1-consent.png`, fullPage: true });
    await page.locator("#consent-next").click();

    const phone = `010${String(Date.now()).slice(-8)}`;
    await page.locator("#v-name").fill("김지갑");
    await page.locator("#v-birth").fill("1988-08-08");
    await page.locator("#v-phone").fill(phone);
    await page.locator("#v-send").click();
    await expect.poll(() => page.locator("#message").textContent()).toContain("인증번호를 보냈습니다");
    await page.locator("#v-code").fill(await codeFromOutbox(issuer.url, phone));
    await page.locator("#v-confirm").click();

    await expect.poll(shownQr).toMatch(/^KP1:/);
    expect(await page.locator("#qr-image svg").count()).toBe(1);
    const box = await page.locator("#qr-image svg").boundingBox();
    expect(box!.width).toBeGreaterThan(300); // large on a phone screen
    expect(await secondsLeft()).toBeLessThanOrEqual(15);
    await page.screenshot({ path: `${SHOTS}wallet-2-qr.png`, fullPage: true });

    const jwks = parseJwks(await (await fetch(`${issuer.url}/.well-known/jwks.json`)).json())!;
    expect(await verifyToken(await shownQr(), { naver: jwks }, Date.now())).toMatchObject({ ok: true, issuer: "naver" });
    expect(external).toEqual([]);
  });

  it("switches to English and back", async () => {
    await page.locator("#lang").click();
    expect(await page.locator("#countdown").textContent()).toMatch(/\d+ s left/);
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    await page.locator("#lang").click();
    expect(await page.locator("#countdown").textContent()).toMatch(/남은 시간 \d+초/);
  });

  it("counts down, regenerates by itself twice, then offers the Regenerate button", { timeout: 90_000 }, async () => {
    const first = await shownQr();
    const t0 = await secondsLeft();
    await page.waitForTimeout(2_100);
    expect(await secondsLeft()).toBeLessThan(t0);

    const seen = [first];
    for (let i = 0; i < AUTO_REGENERATIONS; i++) {
      await page.waitForFunction((prev) => {
        const qr = document.getElementById("qr-image")?.dataset.qr;
        return qr !== undefined && qr !== prev;
      }, seen.at(-1), { timeout: 20_000 });
      seen.push(await shownQr());
    }
    expect(new Set(seen).size).toBe(1 + AUTO_REGENERATIONS);

    // After the last automatic one expires: no QR at all, the expiry notice, and the button.
    await page.locator("#regenerate").waitFor({ state: "visible", timeout: 20_000 });
    expect(await page.locator("#qr-image svg").count()).toBe(0);
    expect(await page.locator("#qr-expired").textContent()).toBe("QR 코드가 만료되었습니다");
    expect(await page.locator("#regenerate").textContent()).toBe("재생성");
    await page.screenshot({ path: `${SHOTS}wallet-3-expired.png`, fullPage: true });

    await page.locator("#regenerate").click(); // no consent again (R-U4)
    await expect.poll(shownQr).toMatch(/^KP1:/);
    expect(seen).not.toContain(await shownQr());
    expect(await page.locator("#consent").isHidden()).toBe(true);
  });

  it("shows a clear message instead of a stale QR when the network is down", { timeout: 60_000 }, async () => {
    expect(await shownQr()).toMatch(/^KP1:/);
    await page.context().setOffline(true);
    await expect.poll(() => page.locator("#banner").textContent()).toContain("인터넷에 연결되어 있지 않습니다");
    // When the QR runs out, the automatic regeneration cannot reach the issuer: the picture goes.
    await page.locator("#qr-image svg").waitFor({ state: "detached", timeout: 20_000 });
    expect(await page.locator("#banner").isVisible()).toBe(true);
    expect(await page.locator("#regenerate").isVisible()).toBe(true);
    await page.screenshot({ path: `${SHOTS}wallet-4-offline.png`, fullPage: true });
    await page.context().setOffline(false);
    await page.locator("#regenerate").click();
    await expect.poll(shownQr).toMatch(/^KP1:/);
    expect(await page.locator("#banner").isHidden()).toBe(true);
  });

  it("re-uses the device credential after a reload: straight to a QR", { timeout: 30_000 }, async () => {
    await page.waitForTimeout(2_100); // the issuer's 2 s rate limit
    await page.reload();
    await expect.poll(shownQr).toMatch(/^KP1:/);
    expect(await page.locator("#consent").isHidden()).toBe(true);
  });
});
