/**
 * Facility registration (R-F1..R-F4, R-F9): terms, the manager's phone by
 * SMS code, every R-F1 field with inline checks (the business number's
 * check digit before anything is sent), then ID and password.
 */
import { isValidBusinessNumber } from "@kipass/shared/brn";
import { INDUSTRIES, INDUSTRY_CODES } from "@kipass/shared/industry";
import { SIDO_NAMES, sigunguOf } from "@kipass/shared/jurisdiction";
import { api, appliedLater, errorText } from "../api.js";
import { field, h, notice, setFieldError } from "../dom.js";
import { t } from "../i18n.js";
import type { Page } from "../main.js";

const input = (name: string, attrs: Record<string, string | boolean> = {}) => h("input", { name, required: true, ...attrs });

export const registerPage: Page = (view, go) => {
  let phoneProof = "";
  const status = h("div");
  const phoneStatus = h("div");
  const agree = h("input", { type: "checkbox", id: "agree", required: true });
  const phone = input("phone", { inputmode: "tel", autocomplete: "tel", placeholder: "010-1234-5678" });
  const code = input("code", { inputmode: "numeric", pattern: "\\d{6}", maxlength: "6", required: false });
  const name = input("businessName", { maxlength: "100" });
  const number = input("businessNumber", { inputmode: "numeric", placeholder: "123-45-67890" });
  const noNumber = h("input", { type: "checkbox", id: "no-number" });
  const rep = input("representative", { maxlength: "50" });
  const bizPhone = input("businessPhone", { inputmode: "tel" });
  const industry = h("select", { name: "industry", required: true }, ...INDUSTRY_CODES.map((c) => h("option", { value: c }, INDUSTRIES[c])));
  const industryDetail = input("industryDetail", { required: false, maxlength: "50" });
  const eventFrom = input("eventFrom", { type: "date", required: false });
  const eventTo = input("eventTo", { type: "date", required: false });
  // Chosen from the fixed list the registry checks against, so no spelling can miss the approver (R-F2).
  const choose = () => h("option", { value: "" }, t("register.choose", "선택"));
  const sido = h("select", { name: "sido", required: true }, choose(), ...SIDO_NAMES.map((n) => h("option", { value: n }, n)));
  const sigungu = h("select", { name: "sigungu", required: true }, choose());
  const address = input("address", { maxlength: "200" });
  const addressDetail = input("addressDetail", { maxlength: "100" });
  const loginId = input("loginId", { autocomplete: "username", pattern: "[a-z0-9_.\\-]{4,32}" });
  const password = input("password", { type: "password", autocomplete: "new-password", minlength: "8" });

  const checkNumber = () => {
    number.disabled = noNumber.checked;
    const bad = !noNumber.checked && number.value !== "" && !isValidBusinessNumber(number.value);
    setFieldError("reg-number", bad ? t("register.badNumber", "검증번호가 맞지 않습니다. 번호를 확인해 주세요.") : "");
    return !bad;
  };
  number.addEventListener("input", checkNumber);
  noNumber.addEventListener("change", checkNumber);
  const showIndustryFields = () => {
    detailField.hidden = industry.value !== "other";
    eventFields.hidden = industry.value !== "event";
  };
  industry.addEventListener("change", showIndustryFields);
  sido.addEventListener("change", () => sigungu.replaceChildren(choose(), ...sigunguOf(sido.value).map((n) => h("option", { value: n }, n))));

  const fail = (where: HTMLElement, err: unknown) => where.replaceChildren(notice("bad", errorText(err)));

  const sendCode = h("button", { type: "button", class: "quiet", onclick: async () => {
    phoneStatus.replaceChildren();
    try {
      await api("/v1/phone/code", { body: { phone: phone.value }, auth: false });
      codeField.hidden = false;
      code.focus();
    } catch (err) {
      fail(phoneStatus, err);
    }
  } }, t("register.sendCode", "인증번호 받기"));
  const verify = h("button", { type: "button", class: "quiet", onclick: async () => {
    phoneStatus.replaceChildren();
    try {
      phoneProof = (await api<{ phoneProof: string }>("/v1/phone/verify", { body: { phone: phone.value, code: code.value }, auth: false })).phoneProof;
      phoneStatus.append(notice("ok", t("register.verified", "휴대전화 인증이 완료되었습니다.")));
    } catch (err) {
      fail(phoneStatus, err);
    }
  } }, t("register.verify", "확인"));
  const codeField = h("div", { hidden: true }, field("reg-code", t("register.code", "인증번호 6자리"), code), verify);
  const detailField = field("reg-industry-detail", t("register.industryDetail", "세부 업종 (기타)"), industryDetail);
  const eventFields = h("div", { class: "grid" }, field("reg-event-from", t("register.eventFrom", "행사 시작일"), eventFrom), field("reg-event-to", t("register.eventTo", "행사 종료일"), eventTo));

  const form = h(
    "form",
    {
      novalidate: true,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        status.replaceChildren();
        if (!checkNumber() || !form.checkValidity()) {
          form.reportValidity();
          return;
        }
        // The registry would refuse it with a schema error nobody can act on.
        if (!phoneProof) {
          status.replaceChildren(notice("bad", t("register.verifyFirst", "휴대전화 인증을 먼저 해 주세요.")));
          phone.focus();
          return;
        }
        try {
          const body = {
            consent: agree.checked,
            phoneProof,
            loginId: loginId.value,
            password: password.value,
            businessName: name.value,
            businessNumber: noNumber.checked ? "none" : number.value,
            representative: rep.value,
            businessPhone: bizPhone.value,
            industry: industry.value,
            ...(industry.value === "other" ? { industryDetail: industryDetail.value } : {}),
            ...(industry.value === "event" ? { event: { from: eventFrom.value, to: eventTo.value } } : {}),
            jurisdiction: { sido: sido.value, sigungu: sigungu.value },
            address: address.value,
            addressDetail: addressDetail.value,
          };
          const r = await api<{ facilityId: string; status: "active" | "pending"; takesEffect: "now" | "within_a_minute" }>("/v1/facilities", { body, auth: false });
          view.replaceChildren(
            h("h1", {}, t("register.title", "시설 등록")),
            notice(
              "ok",
              r.status === "pending"
                ? t("register.pending", "등록되었습니다. 지자체 승인 후 스캔할 수 있습니다.")
                : appliedLater(r)
                  ? t("register.later", "등록되었습니다. 이제 로그인할 수 있으며, 스캔은 1분 안에 가능합니다.")
                  : t("register.done", "등록되었습니다. 이제 로그인할 수 있습니다."),
            ),
            h("p", {}, h("button", { type: "button", onclick: () => go("login") }, t("login.submit", "로그인"))),
          );
        } catch (err) {
          fail(status, err);
        }
      },
    },
    h("h2", {}, t("register.terms", "이용약관")),
    h("div", { class: "terms", tabindex: "0" }, "전자출입명부 시설 이용약관: 시설 정보(상호, 사업자등록번호, 대표자, 연락처, 업종, 주소)는 방역 목적으로만 사용되며, 방문 기록은 4주 후 자동 파기됩니다. 시설은 방문자의 신원을 볼 수 없습니다."),
    h("label", { class: "check", for: "agree" }, agree, t("register.agree", "이용약관 및 시설 정보 처리에 동의합니다.")),
    h("div", { class: "grid" }, field("reg-phone", t("register.phone", "관리자 휴대전화"), phone), h("div", {}, h("label", {}, "\u00a0"), sendCode)),
    codeField,
    phoneStatus,
    field("reg-name", t("register.name", "상호명"), name),
    field("reg-number", t("register.number", "사업자등록번호"), number),
    h("label", { class: "check", for: "no-number" }, noNumber, t("register.noNumber", "사업자등록번호 없음 (지자체 승인 필요)")),
    h("div", { class: "grid" }, field("reg-rep", t("register.rep", "대표자명"), rep), field("reg-biz-phone", t("register.bizPhone", "사업장 전화번호"), bizPhone)),
    field("reg-industry", t("register.industry", "업종"), industry),
    detailField,
    eventFields,
    h("div", { class: "grid" }, field("reg-sido", t("register.sido", "시·도"), sido), field("reg-sigungu", t("register.sigungu", "시·군·구"), sigungu)),
    field("reg-address", t("register.address", "주소"), address),
    field("reg-address-detail", t("register.addressDetail", "상세주소 (층, 출입구)"), addressDetail),
    h("div", { class: "grid" }, field("reg-login", t("register.loginId", "로그인 아이디"), loginId), field("reg-password", t("register.password", "비밀번호 (8자 이상)"), password)),
    status,
    h("p", {}, h("button", { type: "submit" }, t("register.submit", "등록"))),
  );
  showIndustryFields();
  view.append(h("h1", {}, t("register.title", "시설 등록")), form);
};
