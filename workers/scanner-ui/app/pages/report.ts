/**
 * R-F3: the representative whose business number a new registration used
 * opens the link from their SMS, sees that registration, and reports it as
 * bogus (it is suspended pending review). The code is in the fragment, so it
 * never reaches a server log; the page sends it in a POST body only.
 */
import { INDUSTRIES } from "@kipass/shared/industry";
import { api, errorText, inPageLanguage } from "../api.js";
import { h, notice } from "../dom.js";
import { t } from "../i18n.js";
import type { Page } from "../main.js";

interface Reported {
  businessName: string;
  industry: string;
  address: string;
  addressDetail: string;
  registeredAt: number;
  status: "active" | "pending" | "suspended" | "rejected";
}

const kstTime = (ms: number) => new Date(ms).toLocaleString("ko-KR", { timeZone: "Asia/Seoul", dateStyle: "medium", timeStyle: "short" });

export const reportPage: Page = async (view) => {
  const code = location.hash.split("?")[1] ?? "";
  const status = h("div");
  view.append(h("h1", {}, t("report.title", "내 사업자등록번호로 등록된 시설 확인")), status);
  if (!code) {
    status.append(notice("bad", t("report.noCode", "신고 링크가 올바르지 않습니다. 문자메시지의 링크를 그대로 열어 주세요.")));
    return;
  }
  let f: Reported;
  try {
    f = await api<Reported>("/v1/reports/bogus/facility", { body: { code }, auth: false });
  } catch (err) {
    status.append(notice("bad", errorText(err)));
    return;
  }
  const industry = inPageLanguage(INDUSTRIES[f.industry as keyof typeof INDUSTRIES] ?? f.industry);
  const button = h("button", { type: "button", class: "danger" }, t("report.submit", "내가 등록하지 않았습니다 — 신고하기"));
  button.addEventListener("click", async () => {
    status.replaceChildren();
    button.setAttribute("disabled", "");
    try {
      const { message } = await api<{ message: string }>("/v1/reports/bogus", { body: { code }, auth: false });
      status.append(notice("ok", inPageLanguage(message)));
      button.remove();
    } catch (err) {
      status.append(notice("bad", errorText(err)));
      button.removeAttribute("disabled");
    }
  });
  view.append(
    h(
      "section",
      { class: "notice info", "data-reported": "" },
      h("h2", {}, f.businessName),
      h("p", {}, `${f.address} ${f.addressDetail}`),
      h("p", {}, `${industry} · ${t("report.registeredAt", "등록")} ${kstTime(f.registeredAt)}`),
    ),
    h("p", {}, t("report.explain", "본인이 등록한 시설이 아니라면 신고하세요. 해당 시설은 즉시 정지되고 관할 지자체가 검토합니다.")),
    h("p", {}, button),
  );
};
