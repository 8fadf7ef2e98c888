/**
 * The investigator page (R-A1..R-A3): sign in, open a case, run a trace from
 * a phone or a facility and window, see the contacts grouped by facility and
 * time, retry an incomplete trace, export CSV; resolve the safe numbers
 * written on a facility's paper log (R-P1). Korean first, English toggle.
 * One self-contained document: nothing loads from anywhere else.
 */
export function investigatorPage(): string {
  return `<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>KI-Pass 역학조사 · Contact tracing</title>
<style>
  :root { --fg:#111; --muted:#555; --line:#ccc; --accent:#0b5394; --bad:#a61b1b; --ok:#1d6b2f; }
  * { box-sizing: border-box; }
  body { font: 16px/1.5 system-ui, "Noto Sans KR", sans-serif; color: var(--fg); margin: 0; }
  header { display:flex; justify-content:space-between; align-items:center; padding:.75rem 1rem; background:#f3f6fa; border-bottom:1px solid var(--line); }
  h1 { font-size:1.2rem; margin:0; }
  main { max-width: 64rem; margin: 0 auto; padding: 1rem; }
  section { border:1px solid var(--line); border-radius:.5rem; padding:1rem; margin-bottom:1rem; }
  h2 { font-size:1.05rem; margin:0 0 .75rem; }
  label { display:block; margin:.4rem 0 .15rem; font-weight:600; }
  input, select, button { font: inherit; min-height: 2.75rem; padding: .4rem .6rem; }
  input, select { width: 100%; border:1px solid #888; border-radius:.3rem; }
  button { border:0; border-radius:.3rem; background:var(--accent); color:#fff; cursor:pointer; padding:.4rem 1rem; }
  button.secondary { background:#e6e9ee; color:var(--fg); }
  button:focus-visible, input:focus-visible, select:focus-visible { outline:3px solid #f1a208; outline-offset:2px; }
  .row { display:grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap:.75rem; }
  .status { padding:.5rem .75rem; border-radius:.3rem; margin:.5rem 0; }
  .status.bad { background:#fbeaea; color:var(--bad); } .status.ok { background:#e7f4ea; color:var(--ok); }
  table { width:100%; border-collapse:collapse; margin-top:.5rem; }
  th, td { text-align:left; border-bottom:1px solid var(--line); padding:.35rem .4rem; vertical-align:top; }
  .muted { color: var(--muted); }
  [hidden] { display:none !important; }
</style>
</head>
<body>
<header>
  <h1 data-t="title">KI-Pass 역학조사</h1>
  <div><span id="who" class="muted"></span> <button class="secondary" id="lang" type="button">English</button> <button class="secondary" id="logout" type="button" hidden data-t="logout">로그아웃</button></div>
</header>
<main>
  <p id="error" class="status bad" role="alert" hidden></p>

  <section id="login-view" aria-labelledby="login-h">
    <h2 id="login-h" data-t="signin">조사관 로그인</h2>
    <form id="login">
      <label for="login-id" data-t="id">아이디</label><input id="login-id" name="id" autocomplete="username" required>
      <label for="login-pw" data-t="password">비밀번호</label><input id="login-pw" name="password" type="password" autocomplete="current-password" required>
      <p><button type="submit" data-t="signin-btn">로그인</button></p>
    </form>
  </section>

  <div id="work-view" hidden>
    <section aria-labelledby="case-h">
      <h2 id="case-h" data-t="case">사례</h2>
      <div class="row">
        <div><label for="case-search" data-t="find-case">사례 번호로 찾기</label><input id="case-search" type="search" placeholder="case-2026-" pattern="[A-Za-z0-9\-]{1,64}" autocomplete="off" spellcheck="false">
          <label for="case-select" data-t="open-cases">열린 사례</label><select id="case-select"></select></div>
        <form id="new-case">
          <label for="case-id" data-t="new-case">새 사례 번호</label><input id="case-id" name="id" placeholder="case-2026-0001" required pattern="[A-Za-z0-9][A-Za-z0-9-]{2,63}">
          <label for="case-title" data-t="case-title">제목</label><input id="case-title" name="title" required maxlength="120">
          <p><button type="submit" data-t="open-case">사례 열기</button></p>
        </form>
      </div>
    </section>

    <section aria-labelledby="trace-h">
      <h2 id="trace-h" data-t="trace">추적</h2>
      <form id="trace">
        <label for="kind" data-t="start-from">시작점</label>
        <select id="kind" name="kind"><option value="phone" data-t="from-phone">확진자 전화번호</option><option value="facility" data-t="from-facility">시설과 시간대</option></select>
        <div class="row">
          <div data-kind="phone"><label for="phone" data-t="phone">전화번호</label><input id="phone" name="phone" inputmode="tel" placeholder="010-1234-5678"></div>
          <div data-kind="facility" hidden><label for="facility" data-t="facility-id">시설 ID</label><input id="facility" name="facilityId" pattern="fac_[\\w\\-]{12}" placeholder="fac_…" autocomplete="off" spellcheck="false"></div>
          <div><label for="from" data-t="from">시작 (KST)</label><input id="from" name="from" type="datetime-local" required></div>
          <div><label for="to" data-t="to">끝 (KST)</label><input id="to" name="to" type="datetime-local" required></div>
        </div>
        <div class="row" data-kind="phone">
          <div><label for="stay" data-t="stay">퇴장 스캔이 없을 때 체류 (분)</label><input id="stay" name="assumedStayMinutes" type="number" min="0" max="720" value="60"></div>
          <div><label for="before" data-t="before">앞 여유 (분)</label><input id="before" name="marginBeforeMinutes" type="number" min="0" max="720" value="30"></div>
          <div><label for="after" data-t="after">뒤 여유 (분)</label><input id="after" name="marginAfterMinutes" type="number" min="0" max="720" value="60"></div>
        </div>
        <p><button type="submit" data-t="run">추적 실행</button></p>
      </form>
    </section>

    <section aria-labelledby="safe-h">
      <h2 id="safe-h" data-t="safe">수기명부 개인안심번호 조회</h2>
      <form id="safe">
        <div class="row">
          <div><label for="safe-numbers" data-t="safe-numbers">개인안심번호 (여러 개는 쉼표로)</label><input id="safe-numbers" name="safeNumbers" placeholder="12가34나, 56나78다" required></div>
          <div><label for="safe-day" data-t="safe-day">명부 날짜 (KST)</label><input id="safe-day" name="from" type="date" required></div>
        </div>
        <p><button type="submit" data-t="safe-run">조회</button></p>
      </form>
      <p id="safe-status" class="status" role="status" hidden></p>
      <div id="safe-result"></div>
    </section>

    <section id="result" aria-labelledby="result-h" hidden>
      <h2 id="result-h" data-t="result">접촉자</h2>
      <p id="result-status" class="status" role="status"></p>
      <p><button id="retry" type="button" class="secondary" hidden data-t="retry">다시 실행</button> <button id="export" type="button" class="secondary" data-t="export">CSV 내보내기</button></p>
      <div id="groups"></div>
    </section>
  </div>
</main>
<script>
(() => {
  const T = {
    en: { title: "KI-Pass contact tracing", signin: "Investigator sign-in", id: "ID", password: "Password", "signin-btn": "Sign in", logout: "Sign out",
      case: "Case", "find-case": "Find a case by its number", "open-cases": "Open cases", "new-case": "New case number", "case-title": "Title", "open-case": "Open case", trace: "Trace",
      "start-from": "Start from", "from-phone": "The case's phone number", "from-facility": "A facility and a time window", phone: "Phone", "facility-id": "Facility ID",
      from: "From (KST)", to: "To (KST)", stay: "Stay without an exit scan (min)", before: "Margin before (min)", after: "Margin after (min)", run: "Run trace",
      result: "Contacts", retry: "Run again", export: "Export CSV", complete: "Complete", incomplete: "Incomplete — these parties failed:", none: "No contacts found.",
      name: "Name", issuer: "Issuer", scans: "Scans (KST)", overlap: "Overlap (min)", window: "Window",
      safe: "Safe numbers from a paper log", "safe-numbers": "Safe numbers (comma-separated)", "safe-day": "Date of the log (KST)", "safe-run": "Look up", "safe-number": "Safe number", day: "Day", "safe-none": "Nobody held these numbers on that day." },
  };
  const ko = {}; document.querySelectorAll("[data-t]").forEach((el) => (ko[el.dataset.t] = el.textContent));
  Object.assign(ko, { complete: "완료", incomplete: "불완전 — 실패한 기관:", none: "접촉자가 없습니다.", name: "이름", issuer: "발급", scans: "스캔 시각 (KST)", overlap: "겹친 시간 (분)", window: "시간대", "safe-number": "개인안심번호", day: "날짜", "safe-none": "그날 이 번호를 가진 사람이 없습니다." });
  let lang = "ko"; const t = (k) => (lang === "en" ? T.en[k] : ko[k]) ?? k;
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem("kp-token"); let trace = null;

  function applyLang() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach((el) => (el.textContent = t(el.dataset.t)));
    $("lang").textContent = lang === "ko" ? "English" : "한국어";
    if (trace) render(trace);
  }
  const showError = (msg) => { $("error").textContent = msg; $("error").hidden = !msg; };
  async function api(path, opts = {}) {
    const res = await fetch(path, { method: opts.method ?? (opts.body ? "POST" : "GET"), headers: { "content-type": "application/json", ...(token ? { authorization: "Bearer " + token } : {}) }, body: opts.body ? JSON.stringify(opts.body) : undefined });
    if (res.status === 401 && path !== "/api/login") { signOut(); throw new Error("401"); }
    const body = res.headers.get("content-type")?.includes("json") ? await res.json() : await res.text();
    if (!res.ok) throw new Error(body?.error?.message ?? res.statusText);
    return body;
  }
  const kst = (ms) => new Date(ms + 9 * 3600e3).toISOString().slice(0, 16).replace("T", " ");
  const fromKst = (v) => Date.parse(v + ":00Z") - 9 * 3600e3;
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");

  function signOut() { token = null; sessionStorage.removeItem("kp-token"); $("login-view").hidden = false; $("work-view").hidden = true; $("logout").hidden = true; $("who").textContent = ""; }
  async function signedIn() {
    const me = await api("/api/me");
    $("who").textContent = me.name + " (" + me.id + ")";
    $("login-view").hidden = true; $("work-view").hidden = false; $("logout").hidden = false;
    await loadCases();
  }
  // The list holds the newest 200 cases; an older one is found by the start of its number.
  async function loadCases(select) {
    const prefix = $("case-search").value.trim();
    const cases = await api("/api/cases" + (prefix ? "?prefix=" + encodeURIComponent(prefix) : ""));
    if ($("case-search").value.trim() !== prefix) return; // typed on meanwhile: that search's answer fills the list
    $("case-select").innerHTML = cases.map((c) => '<option value="' + esc(c.id) + '">' + esc(c.id + " — " + c.title) + "</option>").join("");
    if (select) $("case-select").value = select;
  }
  function render(tr) {
    trace = tr; $("result").hidden = false;
    const st = $("result-status");
    st.className = "status " + (tr.status === "complete" ? "ok" : "bad");
    // Each failure's message too: not every failure is a party that did not answer (facility_unknown: a mistyped id).
    st.textContent = tr.status === "complete" ? t("complete") + " · " + tr.contacts.length : t("incomplete") + " " + [...new Set(tr.failures.map((f) => f.party))].join(", ") + " — " + [...new Set(tr.failures.map((f) => f.message))].join("; ");
    $("retry").hidden = tr.status === "complete";
    const groups = new Map();
    for (const c of tr.contacts) { const k = c.facilityId + "|" + c.windowFrom; if (!groups.has(k)) groups.set(k, []); groups.get(k).push(c); }
    $("groups").innerHTML = tr.contacts.length === 0 ? "<p>" + t("none") + "</p>" : [...groups.values()].map((cs) => {
      const f = cs[0];
      return "<h3>" + esc(f.facilityName ?? f.facilityId) + ' <span class="muted">' + esc(f.facilityAddress ?? "") + "</span></h3>" +
        '<p class="muted">' + t("window") + ": " + kst(f.windowFrom) + " – " + kst(f.windowTo) + "</p>" +
        "<table><thead><tr><th>" + t("name") + "</th><th>" + t("phone") + "</th><th>" + t("issuer") + "</th><th>" + t("scans") + "</th><th>" + t("overlap") + "</th></tr></thead><tbody>" +
        cs.map((c) => "<tr><td>" + esc(c.name) + "</td><td>" + esc(c.phone) + "</td><td>" + esc(c.issuer) + "</td><td>" + kst(c.firstScan) + (c.lastScan !== c.firstScan ? " – " + kst(c.lastScan) : "") + "</td><td>" + Math.round(c.overlap / 60000) + "</td></tr>").join("") +
        "</tbody></table>";
    }).join("");
  }
  const guard = (fn) => async (e) => { e?.preventDefault(); showError(""); try { await fn(e); } catch (err) { if (err.message !== "401") showError(err.message); } };

  $("lang").onclick = () => { lang = lang === "ko" ? "en" : "ko"; applyLang(); };
  $("logout").onclick = guard(async () => { await api("/api/logout", { method: "POST" }); signOut(); });
  $("login").onsubmit = guard(async () => {
    const s = await api("/api/login", { body: { id: $("login-id").value, password: $("login-pw").value } });
    token = s.token; sessionStorage.setItem("kp-token", token); $("login-pw").value = ""; await signedIn();
  });
  $("new-case").onsubmit = guard(async () => { const c = await api("/api/cases", { body: { id: $("case-id").value, title: $("case-title").value } }); $("case-search").value = ""; await loadCases(c.id); });
  $("case-search").oninput = guard(async () => { if ($("case-search").checkValidity()) await loadCases(); });
  $("kind").onchange = () => document.querySelectorAll("[data-kind]").forEach((el) => (el.hidden = el.dataset.kind !== $("kind").value));
  $("trace").onsubmit = guard(async () => {
    const kind = $("kind").value; const base = { kind, from: fromKst($("from").value), to: fromKst($("to").value) };
    const body = kind === "phone"
      ? { ...base, phone: $("phone").value, assumedStayMinutes: +$("stay").value, marginBeforeMinutes: +$("before").value, marginAfterMinutes: +$("after").value }
      : { ...base, facilityId: $("facility").value };
    render(await api("/api/cases/" + encodeURIComponent($("case-select").value) + "/traces", { body }));
  });
  $("safe").onsubmit = guard(async () => {
    const safeNumbers = $("safe-numbers").value.split(",").map((s) => s.trim()).filter(Boolean);
    const r = await api("/api/cases/" + encodeURIComponent($("case-select").value) + "/safe-numbers", { body: { safeNumbers, from: $("safe-day").value } });
    const st = $("safe-status"); st.hidden = false;
    st.className = "status " + (r.status === "complete" ? "ok" : "bad");
    st.textContent = r.status === "complete" ? t("complete") + " · " + r.matches.length : t("incomplete") + " " + r.failures.map((f) => f.party).join(", ");
    $("safe-result").innerHTML = r.matches.length === 0 ? "<p>" + t("safe-none") + "</p>" :
      "<table><thead><tr><th>" + t("safe-number") + "</th><th>" + t("day") + "</th><th>" + t("name") + "</th><th>" + t("phone") + "</th><th>" + t("issuer") + "</th></tr></thead><tbody>" +
      r.matches.map((m) => "<tr><td>" + esc(m.safeNumber) + "</td><td>" + esc(m.day) + "</td><td>" + esc(m.name) + "</td><td>" + esc(m.phone) + "</td><td>" + esc(m.issuer) + "</td></tr>").join("") + "</tbody></table>";
  });
  $("retry").onclick = guard(async () => render(await api("/api/traces/" + trace.id + "/retry", { method: "POST", body: {} })));
  $("export").onclick = guard(async () => {
    // As bytes, not text: decoding would drop the BOM that makes Excel read the Hangul as UTF-8.
    const res = await fetch("/api/traces/" + trace.id + "/contacts.csv", { headers: { authorization: "Bearer " + token } });
    if (res.status === 401) { signOut(); throw new Error("401"); }
    if (!res.ok) throw new Error((await res.json().catch(() => null))?.error?.message ?? res.statusText);
    const a = document.createElement("a"); a.href = URL.createObjectURL(await res.blob()); a.download = trace.caseId + "-" + trace.id + ".csv"; a.click();
  });
  if (token) signedIn().catch(() => signOut());
})();
</script>
</body>
</html>`;
}
