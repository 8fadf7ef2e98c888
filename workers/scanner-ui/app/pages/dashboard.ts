/**
 * R-F8/R-R4: visitors per hour for a day, and totals for a date range — and
 * nothing else about visitors, because the registry gives a facility nothing else.
 */
import { api, errorText } from "../api.js";
import { field, h, notice } from "../dom.js";
import { t } from "../i18n.js";
import type { Page } from "../main.js";

interface Hourly {
  day: string;
  hours: { hour: number; visitors: number }[];
  total: number;
}
interface Daily {
  from: string;
  to: string;
  days: { day: string; visitors: number }[];
  total: number;
}

const today = () => new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10);

export const dashboardPage: Page = async (view) => {
  const day = h("input", { type: "date", value: today(), required: true });
  const chart = h("figure", { id: "hourly-chart" });
  const status = h("div");
  const from = h("input", { type: "date", value: today(), required: true });
  const to = h("input", { type: "date", value: today(), required: true });
  const range = h("p", { id: "range-total" });
  const show = (err: unknown) => status.replaceChildren(notice("bad", errorText(err)));

  async function drawDay(): Promise<void> {
    const data = await api<Hourly>(`/v1/facility/counts/hourly?day=${encodeURIComponent(day.value)}`);
    const max = Math.max(1, ...data.hours.map((x) => x.visitors));
    chart.replaceChildren(
      h("figcaption", {}, `${data.day} · ${t("dash.total", "합계")} ${data.total}`),
      h(
        "div",
        { class: "chart", role: "img", "aria-label": data.hours.map((x) => `${x.hour}시 ${x.visitors}`).join(", ") },
        ...data.hours.map((x) =>
          h(
            "div",
            { class: "bar-col", "data-hour": x.hour, "data-visitors": x.visitors },
            h("span", { class: "bar-value" }, x.visitors ? String(x.visitors) : ""),
            h("div", { class: "bar-fill", style: `height:${(x.visitors / max) * 100}%` }),
          ),
        ),
      ),
      h("div", { class: "chart-axis", "aria-hidden": "true" }, ...data.hours.map((x) => h("span", {}, String(x.hour)))),
    );
  }
  async function drawRange(): Promise<void> {
    const data = await api<Daily>(`/v1/facility/counts/daily?from=${encodeURIComponent(from.value)}&to=${encodeURIComponent(to.value)}`);
    range.textContent = `${data.from} – ${data.to}: ${t("dash.total", "합계")} ${data.total}`;
  }

  view.append(
    h("h1", {}, t("dash.title", "시간대별 출입자 통계")),
    h("p", { class: "hint" }, t("dash.only", "이 화면에는 방문자 수만 있습니다. 등록소는 시설에 누가 방문했는지 보여주지 않습니다 (R-F8).")),
    h("form", { onsubmit: (e: Event) => { e.preventDefault(); drawDay().catch(show); } }, field("dash-day", t("dash.day", "날짜"), day), h("p", {}, h("button", { type: "submit" }, t("dash.show", "보기")))),
    chart,
    h("h2", {}, t("dash.range", "기간 합계")),
    h(
      "form",
      { onsubmit: (e: Event) => { e.preventDefault(); drawRange().catch(show); } },
      h("div", { class: "grid" }, field("dash-from", t("dash.from", "시작"), from), field("dash-to", t("dash.to", "끝"), to)),
      h("p", {}, h("button", { type: "submit" }, t("dash.show", "보기"))),
    ),
    range,
    status,
  );
  await Promise.all([drawDay(), drawRange()]).catch(show);
};
