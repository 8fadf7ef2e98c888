/**
 * The facility-side UI (R-F1..R-F8): registration, login, staff devices, the
 * scanner and the hourly counts, the printable paper log (R-P1); the
 * local-government approver's page; the page a representative reports a
 * bogus registration under their number from (R-F3).
 * Hash routes, one module per page; talks only to the registry.
 */
import { api, currentSession, loadConfig, saveSession, type Session } from "./api.js";
import { h, notice } from "./dom.js";
import { language, setLanguage, t } from "./i18n.js";
import { approverPage } from "./pages/approver.js";
import { dashboardPage } from "./pages/dashboard.js";
import { homePage } from "./pages/home.js";
import { loginPage } from "./pages/login.js";
import { consentFormPage, paperLogPage } from "./pages/paper.js";
import { registerPage } from "./pages/register.js";
import { reportPage } from "./pages/report.js";
import { scannerPage } from "./pages/scanner.js";
import { staffPage } from "./pages/staff.js";

export type Page = (view: HTMLElement, go: (route: string) => void) => void | (() => void) | Promise<void | (() => void)>;

const pages: Record<string, { page: Page; roles?: Session["role"][] }> = {
  "": { page: homePage },
  login: { page: loginPage },
  register: { page: registerPage },
  report: { page: reportPage },
  scan: { page: scannerPage, roles: ["owner", "staff"] },
  staff: { page: staffPage, roles: ["owner"] },
  dashboard: { page: dashboardPage, roles: ["owner"] },
  approver: { page: approverPage, roles: ["approver"] },
  "paper-log": { page: paperLogPage, roles: ["owner"] },
  "consent-form": { page: consentFormPage, roles: ["owner"] },
};

let leave: (() => void) | void;
let configured = false;

function nav(route: string): void {
  const s = currentSession();
  const links: [string, string, string][] = s
    ? ([
        ["scan", "nav.scan", "스캔"],
        ["dashboard", "nav.dashboard", "시간대별 통계"],
        ["staff", "nav.staff", "직원·기기"],
        ["paper-log", "nav.paper", "수기명부"],
        ["approver", "nav.approver", "승인"],
      ] as [string, string, string][]).filter(([r]) => pages[r]!.roles?.includes(s.role))
    : [
        ["register", "nav.register", "시설 등록"],
        ["login", "nav.login", "로그인"],
      ];
  const el = document.getElementById("nav")!;
  el.replaceChildren(
    ...links.map(([r, key, ko]) => h("a", { href: `#/${r}`, "aria-current": r === route ? "page" : undefined }, t(key, ko))),
    ...(s ? [h("a", { href: "#/", onclick: logout }, t("nav.logout", "로그아웃"))] : []),
  );
  document.querySelector(".brand")!.textContent = t("brand", "KI-Pass 출입명부");
}

async function logout(e: Event): Promise<void> {
  e.preventDefault();
  await api("/v1/logout", { method: "POST" }).catch(() => undefined);
  saveSession(null);
  go("");
}

function go(route: string): void {
  if (location.hash !== `#/${route}`) location.hash = `#/${route}`;
  else void render();
}

async function render(): Promise<void> {
  const route = location.hash.replace(/^#\/?/, "").split("?")[0] ?? "";
  const entry = pages[route] ?? pages[""]!;
  const s = currentSession();
  if (entry.roles && (!s || !entry.roles.includes(s.role))) return go("login");
  leave?.();
  document.body.classList.remove("kiosk");
  nav(route);
  const view = document.getElementById("view")!;
  view.replaceChildren();
  leave = await entry.page(view, go);
  view.focus();
}

/** Without /config.json the page cannot reach the registry: say so, and offer to try again. */
function unavailable(): void {
  nav("");
  document.getElementById("view")!.replaceChildren(
    notice("bad", t("error.config", "출입명부 서버에 연결할 수 없습니다. 인터넷 연결을 확인한 뒤 다시 시도해 주세요.")),
    h("button", { type: "button", id: "retry-config", onclick: () => location.reload() }, t("error.retry", "다시 시도")),
  );
}

const show = (): Promise<void> | void => (configured ? render() : unavailable());

document.getElementById("lang")!.addEventListener("click", () => {
  setLanguage(language() === "ko" ? "en" : "ko");
  document.getElementById("lang")!.textContent = language() === "ko" ? "English" : "한국어";
  void show();
});
setLanguage(language());
document.getElementById("lang")!.textContent = language() === "ko" ? "English" : "한국어";
window.addEventListener("hashchange", () => void show());
configured = await loadConfig();
await show();
