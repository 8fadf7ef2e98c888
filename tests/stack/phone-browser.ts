/**
 * Headless Chromium sized like a phone (Debian chromium via playwright-core),
 * with a fresh profile per run, for the wallet tests. Nothing may load but
 * from the `allowed` origins (no CDN).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/** Debian's Chromium, headless, with the flags this closed network needs (no background connections). */
export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface PhoneBrowser {
  context: BrowserContext;
  close: () => Promise<void>;
}

export async function phoneBrowser(allowed: string[]): Promise<PhoneBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "kipass-chromium-"));
  // A fresh profile per run (playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    locale: "ko-KR",
  });
  await context.route("**/*", (route) => (allowed.some((origin) => route.request().url().startsWith(origin)) ? route.continue() : route.abort()));
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
