/** R-F2/R-F3: the local-government approver approves or rejects facilities of their jurisdiction. */
import { api, appliedLater, errorText } from "../api.js";
import { h, notice } from "../dom.js";
import { t } from "../i18n.js";
import type { Page } from "../main.js";

interface Pending {
  id: string;
  status: "pending" | "suspended";
  statusReason: string | null;
  businessName: string;
  industry: string;
  address: string;
  addressDetail: string;
  createdAt: number;
}

export const approverPage: Page = async (view) => {
  const list = h("div");
  const status = h("div");
  const show = (err: unknown) => status.replaceChildren(notice("bad", errorText(err)));
  async function refresh(): Promise<void> {
    const { facilities } = await api<{ facilities: Pending[] }>("/v1/approver/facilities");
    list.replaceChildren(
      ...(facilities.length === 0
        ? [h("p", {}, t("approver.none", "대기 중인 시설이 없습니다."))]
        : facilities.map((f) => {
            // The registry takes 1–500 characters, blanks trimmed.
            const reason = h("input", { "aria-label": t("approver.reason", "거절 사유"), placeholder: t("approver.reason", "거절 사유"), maxlength: "500" });
            const decide = (decision: "approve" | "reject") => async () => {
              status.replaceChildren();
              if (decision === "reject" && !reason.value.trim()) {
                status.replaceChildren(notice("bad", t("approver.needReason", "거절하려면 사유를 입력해 주세요.")));
                reason.focus();
                return;
              }
              try {
                const decided = await api<unknown>(`/v1/approver/facilities/${encodeURIComponent(f.id)}/decision`, { body: decision === "approve" ? { decision } : { decision, reason: reason.value.trim() } });
                await refresh();
                status.replaceChildren(...(appliedLater(decided) ? [notice("info", t("applied.later", "기록되었습니다. 스캐너에는 1분 안에 반영됩니다."))] : []));
              } catch (err) {
                show(err);
              }
            };
            return h(
              "section",
              { class: "notice info", "data-facility": f.id },
              h("h2", {}, f.businessName),
              h("p", {}, `${f.address} ${f.addressDetail} · ${f.industry} · ${f.status}${f.statusReason ? ` (${f.statusReason})` : ""}`),
              h("p", {}, h("button", { type: "button", onclick: decide("approve") }, t("approver.approve", "승인")), " ", reason, " ", h("button", { type: "button", class: "danger", onclick: decide("reject") }, t("approver.reject", "거절"))),
            );
          })),
    );
  }
  view.append(h("h1", {}, t("approver.title", "승인 대기 시설")), status, list);
  await refresh().catch(show);
};
