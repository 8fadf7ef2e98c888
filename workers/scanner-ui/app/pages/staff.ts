/** R-F5: the representative adds staff accounts (one per entrance device) and removes them. */
import { api, appliedLater, errorText } from "../api.js";
import { field, h, notice } from "../dom.js";
import { t } from "../i18n.js";
import type { Page } from "../main.js";

interface Staff {
  id: string;
  loginId: string;
  description: string;
  createdAt: number;
}

export const staffPage: Page = async (view) => {
  const list = h("div");
  const status = h("div");
  const show = (err: unknown) => status.replaceChildren(notice("bad", errorText(err)));

  async function refresh(): Promise<void> {
    const { staff } = await api<{ staff: Staff[] }>("/v1/facility/staff");
    list.replaceChildren(
      staff.length === 0
        ? h("p", {}, t("staff.none", "아직 직원 계정이 없습니다."))
        : h(
            "table",
            {},
            h("thead", {}, h("tr", {}, h("th", {}, t("login.id", "아이디")), h("th", {}, t("staff.description", "설명")), h("th", {}, ""))),
            h(
              "tbody",
              {},
              ...staff.map((s) =>
                h(
                  "tr",
                  {},
                  h("td", {}, s.loginId),
                  h("td", {}, s.description),
                  h("td", {}, h("button", { type: "button", class: "danger", "aria-label": `${t("staff.remove", "삭제")} ${s.loginId}`, onclick: async () => {
                    try {
                      const removed = await api<unknown>(`/v1/facility/staff/${encodeURIComponent(s.id)}`, { method: "DELETE" });
                      await refresh();
                      status.replaceChildren(...(appliedLater(removed) ? [notice("info", t("applied.later", "기록되었습니다. 스캐너에는 1분 안에 반영됩니다."))] : []));
                    } catch (err) {
                      show(err);
                    }
                  } }, t("staff.remove", "삭제"))),
                ),
              ),
            ),
          ),
    );
  }

  const loginId = h("input", { name: "loginId", required: true, pattern: "[a-z0-9_.\\-]{4,32}" });
  const password = h("input", { name: "password", type: "password", required: true, minlength: "8", autocomplete: "new-password" });
  const description = h("input", { name: "description", required: true, maxlength: "100", placeholder: "정문 입구 / main entrance" });
  const form = h(
    "form",
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        status.replaceChildren();
        try {
          await api("/v1/facility/staff", { body: { loginId: loginId.value, password: password.value, description: description.value } });
          form.reset();
          await refresh();
        } catch (err) {
          show(err);
        }
      },
    },
    h("h2", {}, t("staff.add", "직원·기기 추가")),
    h("div", { class: "grid" }, field("staff-login", t("login.id", "아이디"), loginId), field("staff-password", t("login.password", "비밀번호"), password)),
    field("staff-description", t("staff.description", "설명 (예: 정문 입구)"), description),
    h("p", {}, h("button", { type: "submit" }, t("staff.add", "직원·기기 추가"))),
  );
  view.append(h("h1", {}, t("staff.title", "직원 및 출입구 기기")), list, status, form);
  await refresh().catch(show);
};
