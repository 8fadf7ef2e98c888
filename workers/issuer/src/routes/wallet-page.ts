/**
 * The wallet (the user's app in this project), served by the issuer: one
 * self-contained page, nothing from a CDN. First use: consent (R-U2), phone
 * verification, the guardian's consent under 14 (R-U3); then the QR with a
 * live 15-second countdown that regenerates by itself a configured number of
 * times (Naver 2, KakaoTalk 3) and then offers "재생성 / Regenerate" (R-U4).
 * Below the QR: today's safe number (개인안심번호) for paper logs (R-P1).
 * Korean first, English on a toggle. Offline: a clear message, never a stale QR.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { randomBytes, toBase64url } from "@kipass/shared";
import { autoRegenerations, type IssuerBindings, type IssuerEnv } from "../config.js";
import { CONSENT_TEXTS, CONSENT_VERSION } from "../identity/consent.js";

export function mountWalletPage(app: OpenAPIHono<IssuerEnv>): void {
  app.get("/", (c) => {
    const nonce = toBase64url(randomBytes(16));
    c.header(
      "content-security-policy",
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:; connect-src 'self'${registryOrigin(c.env)}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    c.header("cache-control", "no-store");
    return c.html(walletPage(c.env, nonce));
  });
}

/** The registry the wallet asks "has my QR been scanned?" (relay check, docs/threat-model.md); never the issuer. */
const registryUrl = (env: IssuerBindings): string | null => {
  try {
    return env.REGISTRY_URL ? new URL(env.REGISTRY_URL).origin : null;
  } catch {
    return null;
  }
};
const registryOrigin = (env: IssuerBindings) => (registryUrl(env) ? ` ${registryUrl(env)}` : "");

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function walletPage(env: IssuerBindings, nonce: string): string {
  const config = {
    issuer: env.PARTY_ID,
    name: env.PARTY_NAME,
    autoRegenerations: autoRegenerations(env),
    registry: registryUrl(env),
    consent: { version: CONSENT_VERSION, texts: CONSENT_TEXTS },
  };
  // JSON inside <script>: "<" escaped so no text can close the element.
  const configJson = JSON.stringify(config).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>KI-Pass ${esc(env.PARTY_NAME)}</title>
<style nonce="${nonce}">${STYLE}</style></head>
<body>
<header><h1>KI-Pass <span class="issuer">${esc(env.PARTY_NAME)}</span></h1>
<button id="lang" type="button" data-t="langToggle"></button></header>
<main>
<p id="banner" role="alert" hidden></p>

<section id="consent" hidden>
  <h2 data-t="consentTitle"></h2>
  <div id="consent-texts"></div>
  <button id="consent-next" type="button" disabled data-t="agree"></button>
</section>

<section id="verify" hidden>
  <h2 data-t="verifyTitle"></h2>
  <label><span data-t="name"></span><input id="v-name" autocomplete="name" maxlength="40"></label>
  <label><span data-t="birthDate"></span><input id="v-birth" type="date"></label>
  <label><span data-t="phone"></span><input id="v-phone" type="tel" inputmode="tel" autocomplete="tel" placeholder="010-1234-5678"></label>
  <button id="v-send" type="button" data-t="sendCode"></button>
  <label><span data-t="code"></span><input id="v-code" inputmode="numeric" maxlength="6" autocomplete="one-time-code"></label>
  <button id="v-confirm" type="button" data-t="confirm"></button>
</section>

<section id="guardian" hidden>
  <h2 data-t="guardianTitle"></h2>
  <p data-t="guardianWhy"></p>
  <label><span data-t="guardianName"></span><input id="g-name" maxlength="40"></label>
  <label><span data-t="guardianPhone"></span><input id="g-phone" type="tel" inputmode="tel" placeholder="010-1234-5678"></label>
  <button id="g-send" type="button" data-t="sendCode"></button>
  <label><span data-t="code"></span><input id="g-code" inputmode="numeric" maxlength="6"></label>
  <label class="check"><input id="g-agree" type="checkbox"><span data-t="guardianAgree"></span></label>
  <button id="g-confirm" type="button" data-t="guardianConfirm"></button>
</section>

<section id="qr" hidden>
  <div id="qr-box" aria-live="polite"><div id="qr-image"></div><p id="qr-expired" hidden data-t="expired"></p><p id="qr-used" role="alert" hidden></p></div>
  <p id="countdown" aria-live="polite"></p>
  <button id="regenerate" type="button" hidden data-t="regenerate"></button>
  <p id="safe-number-box" hidden><span data-t="safeNumber"></span> <strong id="safe-number"></strong><br><small data-t="safeNumberWhy"></small></p>
  <details><summary data-t="deviceMenu"></summary>
    <button id="logout" type="button" data-t="logout"></button>
    <button id="logout-all" type="button" data-t="logoutAll"></button>
  </details>
</section>
<p id="message" role="status"></p>
</main>
<script nonce="${nonce}">const CONFIG = ${configJson};
${SCRIPT}</script>
</body></html>`;
}

const STYLE = `
:root{color-scheme:light;font-family:system-ui,"Apple SD Gothic Neo","Noto Sans KR",sans-serif;line-height:1.5}
body{margin:0;background:#f4f6f8;color:#111}
header{display:flex;justify-content:space-between;align-items:center;padding:.75rem 1rem;background:#03c75a;color:#fff}
header h1{font-size:1.1rem;margin:0}
main{max-width:32rem;margin:0 auto;padding:1rem}
section{background:#fff;border-radius:12px;padding:1rem;box-shadow:0 1px 3px #0002}
h2{font-size:1.2rem;margin-top:0}
label{display:block;margin:.75rem 0}
label span{display:block;font-weight:600;margin-bottom:.25rem}
input{font-size:1.1rem;padding:.6rem;width:100%;box-sizing:border-box;border:1px solid #999;border-radius:8px}
label.check{display:flex;gap:.5rem;align-items:flex-start}
label.check input{width:auto;margin-top:.3rem}
button{font-size:1.1rem;padding:.8rem 1rem;border:0;border-radius:8px;background:#1a73e8;color:#fff;width:100%;margin:.5rem 0;cursor:pointer}
button:disabled{background:#9bb}
header button{width:auto;margin:0;padding:.4rem .8rem;font-size:.95rem;background:#0006}
.consent-text{border:1px solid #ccc;border-radius:8px;padding:.75rem;margin:.75rem 0;max-height:12rem;overflow:auto}
.consent-text h3{font-size:1rem;margin:.2rem 0}
#qr-box{background:#fff;display:flex;justify-content:center;align-items:center;min-height:min(88vw,26rem)}
#qr-image{width:min(88vw,26rem);aspect-ratio:1}
#qr-image svg{width:100%;height:100%;display:block;shape-rendering:crispEdges}
#qr-expired{font-size:1.4rem;font-weight:700;color:#b00020}
#qr-used{font-size:1.2rem;font-weight:700;color:#b00020;text-align:center}
#countdown{text-align:center;font-size:1.6rem;font-weight:700;font-variant-numeric:tabular-nums}
#banner{background:#b00020;color:#fff;padding:.75rem;border-radius:8px;font-weight:600}
#message{color:#b00020;min-height:1.5em}
#safe-number-box{text-align:center}#safe-number{font-size:1.6rem;letter-spacing:.1em}
details{margin-top:1rem}details button{background:#666}
`;

// Plain browser JavaScript (no build step): the page works from this file alone.
const SCRIPT = String.raw`
"use strict";
const T = {
  langToggle: ["English", "한국어"],
  consentTitle: ["개인정보 수집·이용 및 제3자 제공 동의", "Consent to collection, use and provision of personal information"],
  agree: ["동의하고 계속", "Agree and continue"],
  verifyTitle: ["휴대전화 본인 확인", "Verify your phone"],
  name: ["이름", "Name"], birthDate: ["생년월일", "Birth date"], phone: ["휴대전화번호", "Mobile number"],
  sendCode: ["인증번호 받기", "Send code"], code: ["인증번호 6자리", "6-digit code"], confirm: ["확인", "Verify"],
  guardianTitle: ["법정대리인(보호자) 동의", "Legal guardian's consent"],
  guardianWhy: ["만 14세 미만은 보호자가 본인 휴대전화로 인증하고 한 번 동의해야 QR을 발급받을 수 있습니다.", "Under 14, a guardian must verify their own phone and consent once before a QR can be issued."],
  guardianName: ["보호자 이름", "Guardian's name"], guardianPhone: ["보호자 휴대전화번호", "Guardian's mobile number"],
  guardianAgree: ["보호자로서 위 개인정보 수집·이용 및 제3자 제공에 동의합니다.", "As the guardian, I consent to the collection, use and provision above."],
  guardianConfirm: ["보호자 동의 완료", "Give guardian consent"],
  expired: ["QR 코드가 만료되었습니다", "This QR code has expired"],
  used: ["사용됨 · {n} — 본인이 찍지 않았다면 QR이 다른 사람에게 전달된 것입니다.", "Used at {n} — if that was not you, this QR was passed on to someone else."],
  regenerate: ["재생성", "Regenerate"],
  deviceMenu: ["기기 관리", "Devices"], logout: ["이 기기 로그아웃", "Log out this device"], logoutAll: ["모든 기기 로그아웃", "Log out of all devices"],
  secondsLeft: ["남은 시간 {n}초", "{n} s left"],
  offline: ["인터넷에 연결되어 있지 않습니다. 연결한 뒤 재생성을 누르세요.", "You are offline. Connect, then press Regenerate."],
  codeSent: ["인증번호를 보냈습니다 (3분 안에 입력).", "Code sent (enter it within 3 minutes)."],
  tooFast: ["잠시 후 다시 시도하세요.", "Please try again in a moment."],
  safeNumber: ["오늘의 개인안심번호", "Today's safe number"],
  safeNumberWhy: ["수기명부에 전화번호 대신 적을 수 있습니다 (오늘만 유효).", "Write it on a paper log instead of your phone number (valid today only)."],
};
let lang = localStorage.getItem("kipass.lang") === "en" ? 1 : 0;
const key = "kipass." + CONFIG.issuer + ".credential";
const $ = (id) => document.getElementById(id);
const t = (k, n) => T[k][lang].replace("{n}", n);
let verification = null, guardianVerification = null, expiresAtLocal = 0, autoLeft = CONFIG.autoRegenerations, timer = 0, shown = null;

function render() {
  document.documentElement.lang = lang ? "en" : "ko";
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = T[el.dataset.t][lang];
  const box = $("consent-texts");
  box.replaceChildren(...CONFIG.consent.texts.map((c) => {
    const div = document.createElement("div"); div.className = "consent-text";
    const h = document.createElement("h3"); h.textContent = lang ? c.title.en : c.title.ko;
    const p = document.createElement("p"); p.textContent = lang ? c.body.en : c.body.ko;
    const label = document.createElement("label"); label.className = "check";
    const input = document.createElement("input"); input.type = "checkbox"; input.dataset.purpose = c.purpose;
    input.checked = consentChecked.has(c.purpose);
    input.addEventListener("change", () => { input.checked ? consentChecked.add(c.purpose) : consentChecked.delete(c.purpose); render(); });
    const span = document.createElement("span"); span.textContent = (lang ? "I agree: " : "동의합니다: ") + (lang ? c.title.en : c.title.ko);
    label.append(input, span); div.append(h, p, label); return div;
  }));
  $("consent-next").disabled = consentChecked.size !== CONFIG.consent.texts.length;
  tick();
}
const consentChecked = new Set();

function show(id) { for (const s of ["consent", "verify", "guardian", "qr"]) $(s).hidden = s !== id; say(""); if (id !== "qr") safeUntil = 0; }

// R-P1: today's safe number for paper logs, asked after the QR is shown (the QR comes first
// and works without it); asked again once the KST day it was for is over.
let safeUntil = 0;
async function safeNumber() {
  if (Date.now() < safeUntil) return;
  try { const s = await api("/api/v1/safe-number"); $("safe-number").textContent = s.safeNumber; $("safe-number-box").hidden = false; safeUntil = s.validUntil; }
  catch { $("safe-number-box").hidden = true; }
}
function say(text) { $("message").textContent = text; }
function banner(text) { $("banner").textContent = text; $("banner").hidden = !text; }

async function api(path, body, method) {
  const headers = { "content-type": "application/json" };
  const cred = localStorage.getItem(key);
  if (cred) headers.authorization = "Bearer " + cred;
  const res = await fetch(path, { method: method || (body === undefined ? "GET" : "POST"), headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) { const e = new Error((data.error && data.error.message) || res.statusText); e.status = res.status; e.code = data.error && data.error.code; throw e; }
  return data;
}
const consentBody = () => ({ version: CONFIG.consent.version, collectionUse: true, thirdParty: true });

async function start() {
  render();
  if (!localStorage.getItem(key)) return show("consent");
  try {
    const me = await api("/api/v1/device");
    if (me.guardianRequired) return show("guardian");
    show("qr"); newQr();
  } catch (e) {
    if (e.status === 401) { localStorage.removeItem(key); return show("consent"); }
    show("qr"); offline();
  }
}

$("lang").addEventListener("click", () => { lang = 1 - lang; localStorage.setItem("kipass.lang", lang ? "en" : "ko"); render(); });
$("consent-next").addEventListener("click", () => show("verify"));
$("v-send").addEventListener("click", () => sendCode($("v-phone").value, (v) => (verification = v)));
$("g-send").addEventListener("click", () => sendCode($("g-phone").value, (v) => (guardianVerification = v)));

async function sendCode(phone, keep) {
  try { const v = await api("/api/v1/verifications", { phone }); keep(v); say(t("codeSent")); }
  catch (e) { say(e.message); }
}

$("v-confirm").addEventListener("click", async () => {
  if (!verification) return say(t("sendCode"));
  try {
    const r = await api("/api/v1/enrolments", { verificationId: verification.verificationId, phone: $("v-phone").value, code: $("v-code").value,
      name: $("v-name").value, birthDate: $("v-birth").value, consent: consentBody() });
    localStorage.setItem(key, r.credential);
    if (r.guardianRequired) return show("guardian");
    show("qr"); newQr();
  } catch (e) { say(e.message); }
});

$("g-confirm").addEventListener("click", async () => {
  if (!guardianVerification) return say(t("sendCode"));
  if (!$("g-agree").checked) return say(t("guardianAgree"));
  try {
    await api("/api/v1/guardian-consents", { verificationId: guardianVerification.verificationId, phone: $("g-phone").value, code: $("g-code").value,
      name: $("g-name").value, consent: consentBody() });
    show("qr"); newQr();
  } catch (e) { say(e.message); }
});

// R-U4: a fresh QR; the button restarts the automatic regenerations without consent again.
$("regenerate").addEventListener("click", () => { autoLeft = CONFIG.autoRegenerations; newQr(); });

async function newQr() {
  $("regenerate").hidden = true;
  const sentAt = Date.now();
  try {
    const tok = await api("/api/v1/tokens", {});
    // The countdown runs on this device's clock: the token's remaining life as the server saw it.
    expiresAtLocal = sentAt + (tok.expiresAt - tok.serverTime);
    shown = tok.qr;
    watchClaim(tok.jti);
    $("qr-image").innerHTML = tok.svg;
    $("qr-image").dataset.qr = tok.qr;
    $("qr-image").hidden = false; $("qr-expired").hidden = true; $("qr-used").hidden = true;
    banner(""); say("");
    clearInterval(timer); timer = setInterval(tick, 200); tick();
    safeNumber();
  } catch (e) {
    if (e.status === 401) { localStorage.removeItem(key); clearInterval(timer); return show("consent"); }
    // Other 403s (collection_suspended at alert level 관심/주의, R-O3) show their message below.
    if (e.code === "guardian_consent_required") return show("guardian");
    if (e.status === 429) { say(t("tooFast")); $("regenerate").hidden = false; return; }
    if (e.status === undefined) return offline();
    say(e.message); $("regenerate").hidden = false;
  }
}

function tick() {
  if (!shown) return;
  const left = expiresAtLocal - Date.now();
  if (left > 0) { $("countdown").textContent = t("secondsLeft", Math.ceil(left / 1000)); return; }
  expire();
  if (autoLeft > 0) { autoLeft--; newQr(); } else { $("regenerate").hidden = false; }
}

function expire() {
  clearInterval(timer); clearTimeout(claimTimer); shown = null;
  $("qr-image").replaceChildren(); delete $("qr-image").dataset.qr;
  $("qr-image").hidden = true; $("qr-expired").hidden = false; $("countdown").textContent = "";
}

// Relay check: while a QR is on screen, ask the registry (not the issuer) every
// half second whether it has been scanned. The answer is a time, never a place;
// a scan the holder did not make means a forwarded screenshot (사용됨 within ~1 s).
let claimTimer = 0;
function watchClaim(jti) {
  clearTimeout(claimTimer);
  if (!CONFIG.registry || !jti) return;
  const ask = async () => {
    if (!shown) return;
    try {
      const res = await fetch(CONFIG.registry + "/wallet/v1/token-status", { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ jti }), credentials: "omit", referrerPolicy: "no-referrer", cache: "no-store" });
      const s = await res.json();
      if (s.claimed && shown) return used(s.at);
    } catch {}
    claimTimer = setTimeout(ask, 500);
  };
  claimTimer = setTimeout(ask, 500);
}

function used(at) {
  expire(); autoLeft = 0;
  const hhmm = new Date(at).toLocaleTimeString("ko-KR", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Asia/Seoul" });
  $("qr-expired").hidden = true;
  $("qr-used").textContent = t("used", hhmm); $("qr-used").hidden = false; $("qr-used").dataset.at = String(at);
  $("regenerate").hidden = false;
}

// Never a stale QR: offline, the picture goes and a clear message takes its place.
function offline() { expire(); banner(t("offline")); $("regenerate").hidden = false; }
window.addEventListener("offline", () => banner(t("offline")));
window.addEventListener("online", () => banner(""));

$("logout").addEventListener("click", async () => { try { await api("/api/v1/device", undefined, "DELETE"); } catch {} localStorage.removeItem(key); expire(); show("consent"); });
$("logout-all").addEventListener("click", async () => { try { await api("/api/v1/devices/revoke-all", {}); } catch {} localStorage.removeItem(key); expire(); show("consent"); });

start();
`;
