/**
 * The scanner (R-F6, R-F7): the camera (rear by default, front selectable)
 * decodes continuously; each new QR is posted once to the registry; the
 * answer is shown large, spoken and felt, and the screen is ready for the
 * next visitor within a second. A QR held in front of the camera for several
 * seconds posts once (R-U8 makes a repeat harmless anyway).
 */
import { api, ApiError } from "../api.js";
import { h } from "../dom.js";
import { language, t } from "../i18n.js";
import type { Page } from "../main.js";
import { createDecoder } from "../scanner/decoder.js";
import { announceRefused, announceVerified } from "../scanner/feedback.js";

/** The same QR text within this long after its post is the same visitor still holding it up. */
const HOLD_MS = 5_000;
/** How long an answer stays on screen before the scanner is ready again. */
const SHOW_MS = 900;
const FRAME_MS = 120;

type State = "ready" | "ok" | "expired" | "used" | "invalid" | "network" | "logged_out" | "suspended" | "error";

function stateOf(err: unknown): State {
  if (!(err instanceof ApiError)) return "error";
  if (err.code === "network") return "network";
  if (err.code === "expired") return "expired";
  if (err.code === "token_used") return "used";
  if (["session_invalid", "session_required", "device_revoked"].includes(err.code)) return "logged_out";
  if (err.code.startsWith("facility_") || err.code === "event_not_active") return "suspended";
  if (err.status >= 400 && err.status < 500) return "invalid";
  return "error";
}

const MESSAGES: Record<State, () => string> = {
  ready: () => t("scan.ready", "QR 코드를 카메라에 비춰 주세요"),
  ok: () => t("scan.ok", "인증되었습니다"),
  expired: () => t("scan.expired", "유효시간이 지난 QR 코드입니다. 새로 발급해 주세요."),
  used: () => t("scan.used", "이미 다른 시설에서 사용된 QR 코드입니다."),
  invalid: () => t("scan.invalid", "유효한 출입 QR 코드가 아닙니다."),
  network: () => t("scan.network", "네트워크에 연결되어 있지 않습니다. Wi-Fi 또는 모바일 데이터를 확인하세요."),
  logged_out: () => t("scan.loggedOut", "이 기기는 로그아웃되었습니다."),
  suspended: () => t("scan.suspended", "이 시설은 지금 스캔할 수 없습니다 (승인 대기 또는 정지)."),
  error: () => t("scan.invalid", "유효한 출입 QR 코드가 아닙니다."),
};

export const scannerPage: Page = (view) => {
  let stream: MediaStream | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const camera = h("select", { "aria-label": t("scan.camera", "카메라") }, h("option", { value: "environment" }, t("scan.rear", "후면")), h("option", { value: "user" }, t("scan.front", "전면")));
  const video = h("video", { autoplay: true, muted: true, playsinline: true });
  const result = h("div", { class: "result", role: "status", "aria-live": "assertive", "data-state": "ready" }, MESSAGES.ready());
  const root = h("div", { class: "scanner" }, video, result);

  function show(state: State, detail?: string): void {
    result.className = `result ${state === "ok" ? "ok" : state === "ready" ? "" : state === "expired" ? "warn" : "bad"}`;
    result.dataset.state = state;
    result.replaceChildren(MESSAGES[state](), ...(detail ? [h("small", {}, detail)] : []));
  }

  async function open(): Promise<void> {
    stream?.getTracks().forEach((tr) => tr.stop());
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: camera.value, width: { ideal: 1280 } }, audio: false });
    } catch {
      show("error", t("scan.noCamera", "카메라를 열 수 없습니다. 카메라 권한을 허용해 주세요."));
      return;
    }
    video.srcObject = stream;
    await video.play().catch(() => undefined);
  }

  async function start(): Promise<void> {
    document.body.classList.add("kiosk");
    view.replaceChildren(root);
    await document.documentElement.requestFullscreen?.().catch(() => undefined);
    await open();
    const decoder = await createDecoder();
    root.dataset.decoder = decoder.kind;
    let last = "";
    let lastAt = 0;
    let busy = false;
    const tick = async () => {
      if (stopped) return;
      const text = busy ? null : await decoder.decode(video);
      const now = Date.now();
      if (text && !(text === last && now - lastAt < HOLD_MS)) {
        last = text;
        lastAt = now;
        busy = true;
        try {
          await api("/v1/scan", { body: { qr: text } });
          show("ok");
          announceVerified(language());
        } catch (err) {
          const state = stateOf(err);
          show(state, state === "error" && err instanceof Error ? err.message : undefined);
          announceRefused();
        }
        setTimeout(() => {
          busy = false;
          if (!stopped) show("ready");
        }, SHOW_MS);
      }
      timer = setTimeout(() => void tick(), FRAME_MS);
    };
    void tick();
  }

  camera.addEventListener("change", () => void open());
  const exit = h("button", { type: "button", onclick: () => { stop(); location.hash = "#/"; } }, t("scan.exit", "나가기"));
  root.append(h("div", { class: "controls" }, camera, exit));

  function stop(): void {
    stopped = true;
    clearTimeout(timer);
    stream?.getTracks().forEach((tr) => tr.stop());
    document.body.classList.remove("kiosk");
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
  }

  view.append(
    h("h1", {}, t("nav.scan", "스캔")),
    h("p", {}, t("scan.ready", "QR 코드를 카메라에 비춰 주세요")),
    h("p", {}, h("button", { type: "button", id: "start-scan", onclick: () => void start() }, t("scan.start", "스캔 시작"))),
  );
  return stop;
};
