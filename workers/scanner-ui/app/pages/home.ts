import { h } from "../dom.js";
import { t } from "../i18n.js";
import type { Page } from "../main.js";

export const homePage: Page = (view) => {
  view.append(
    h("h1", {}, t("home.title", "시설용 전자출입명부")),
    h("p", {}, t("home.body", "시설을 등록하고 로그인한 뒤 방문자의 QR 코드를 스캔하세요. 시설에서는 시간대별 방문자 수만 볼 수 있으며, 누가 방문했는지는 볼 수 없습니다.")),
    h("p", {}, h("a", { href: "#/register" }, t("nav.register", "시설 등록")), " · ", h("a", { href: "#/login" }, t("nav.login", "로그인"))),
  );
};
