/** R-F4/R-F5: managers, staff devices and approvers log in with ID and password. */
import { api, errorText, saveSession, type Session } from "../api.js";
import { field, h, notice } from "../dom.js";
import { t } from "../i18n.js";
import type { Page } from "../main.js";

export const loginPage: Page = (view, go) => {
  const id = h("input", { name: "loginId", autocomplete: "username", required: true });
  const pw = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const status = h("div");
  // The scanner sends a device the registry no longer knows here (session ended, account removed): say why.
  if (/[?&]logged_out\b/.test(location.hash)) status.append(notice("bad", t("login.loggedOut", "이 기기는 로그아웃되었습니다. 다시 로그인해 주세요.")));
  const form = h(
    "form",
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        status.replaceChildren();
        try {
          const s = await api<Omit<Session, "loginId">>("/v1/login", { body: { loginId: id.value, password: pw.value }, auth: false });
          saveSession({ ...s, loginId: id.value });
          go(s.role === "approver" ? "approver" : s.role === "staff" ? "scan" : "dashboard");
        } catch (err) {
          status.append(notice("bad", errorText(err)));
        }
      },
    },
    field("login-id", t("login.id", "아이디"), id),
    field("login-password", t("login.password", "비밀번호"), pw),
    status,
    h("p", {}, h("button", { type: "submit" }, t("login.submit", "로그인"))),
  );
  view.append(h("h1", {}, t("login.title", "로그인")), form);
};
