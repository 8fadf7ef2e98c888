// The wallet page (R-U2..R-U4) is one self-contained document: Korean first,
// its scripts allowed by nonce only, nothing loaded from elsewhere, and this
// issuer's number of automatic regenerations (Naver 2, KakaoTalk 3).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/index.js";
import { call } from "./wallet-client.js";

const config = (html: string) => JSON.parse(/const CONFIG = (.*);\n/.exec(html)![1]!) as { issuer: string; autoRegenerations: number; consent: { texts: unknown[] } };

describe("wallet page", () => {
  it("is Korean first, self-contained and locked down by its content security policy", async () => {
    const res = await call("/");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<html lang="ko">');
    const csp = res.headers.get("content-security-policy")!;
    const nonce = /'nonce-([A-Za-z0-9_-]+)'/.exec(csp)![1];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).not.toMatch(/(src|href)="https?:/); // nothing from a CDN
    expect(html).toContain("재생성");
    expect(html).toContain("Regenerate");
    expect(config(html)).toMatchObject({ issuer: "naver", autoRegenerations: 2 });
    expect(config(html).consent.texts).toHaveLength(2);
  });

  it("takes the number of automatic regenerations from the issuer's configuration (KakaoTalk 3)", async () => {
    const res = await app.fetch(new Request("https://kakao.test/"), { ...env, PARTY_ID: "kakao", PARTY_NAME: "카카오톡 KakaoTalk", QR_AUTO_REGENERATIONS: "3" });
    expect(config(await res.text())).toMatchObject({ issuer: "kakao", autoRegenerations: 3 });
  });

  it("gives every response its own nonce", async () => {
    const a = (await call("/")).headers.get("content-security-policy");
    const b = (await call("/")).headers.get("content-security-policy");
    expect(a).not.toBe(b);
  });
});
