/**
 * The scanner (R-F6, R-F7): the camera (rear by default, front selectable)
 * decodes continuously; each new QR is posted once to the registry; the
 * answer is shown large, spoken and felt, and the screen is ready for the
 * next visitor within a second. A QR held in front of the camera posts once
 * (R-U8 makes a repeat harmless anyway). A device the registry no longer
 * knows (session ended, account removed) leaves for the login page.
 */
import { api, ApiError, errorText, networkText, saveSession } from "../api.js";
import { h } from "../dom.js";
import { language, t } from "../i18n.js";
import type { Page } from "../main.js";
import { createDecoder } from "../scanner/decoder.js";
import { announceRefused, announceVerified } from "../scanner/feedback.js";

/**
 * A QR answered within this long is not posted again: a token lives 15 s and
 * is accepted 5 s past that (TOKEN_TTL_MS + CLOCK_SKEW_MS, shared/src/token.ts);
 * a re-post after that would tell an admitted visitor "expired".
 */
const ANSWERED_MS = 25_000;
/** After a failure worth retrying (network, server), the same QR is posted again no sooner than this. */
const RETRY_MS = 5_000;
/** How long an answer stays on screen before the scanner is ready again. */
const SHOW_MS = 900;
const FRAME_MS = 120;
/** A scan not answered by then shows "network": the visitor is waiting at the door. */
const SCAN_TIMEOUT_MS = 10_000;

type State =
  | "ready"
  | "ok"
  | "expired"
  | "used"
  | "invalid"
  | "not_yet_valid"
  | "network"
  | "unavailable"
  | "logged_out"
  | "suspended"
  | "collection_stopped"
  | "camera";

const LOGGED_OUT = ["session_invalid", "session_required", "device_revoked"];
/** The registry or an issuer cannot verify now: not the visitor's fault, scanning again may work. */
const UNAVAILABLE = ["issuer_keys_unavailable", "day_closed"];
/** Answers that may change for the same QR: posted again after RETRY_MS. */
const RETRYABLE: readonly State[] = ["network", "unavailable"];

function stateOf(err: unknown): State {
  if (!(err instanceof ApiError)) return "unavailable";
  if (err.code === "network") return "network";
  if (err.code === "expired") return "expired";
  if (err.code === "not_yet_valid") return "not_yet_valid";
  if (err.code === "token_used") return "used";
  if (LOGGED_OUT.includes(err.code)) return "logged_out";
  if (err.code === "collection_suspended" || err.code === "collection_ended") return "collection_stopped";
  if (err.code.startsWith("facility_") || err.code === "event_not_active") return "suspended";
  // A status without the registry's JSON is a proxy or outage speaking, not a verdict on the QR.
  if (UNAVAILABLE.includes(err.code) || err.code.startsWith("http_") || err.status >= 500 || err.status === 429) return "unavailable";
  if (err.status >= 400 && err.status < 500) return "invalid";
  return "unavailable";
}

/** The registry's line for staff, in the page's language (its messages read "한국어 / English"); none for a bare HTTP status. */
function detailOf(err: unknown): string | undefined {
  if (!(err instanceof ApiError) || err.code === "network" || err.code.startsWith("http_") || !err.message) return undefined;
  return errorText(err);
}

/** States whose big line is general: the registry's detail says which case it is. */
const DETAILED: readonly State[] = ["invalid", "not_yet_valid", "unavailable", "suspended", "collection_stopped"];

const MESSAGES: Record<State, () => string> = {
  ready: () => t("scan.ready", "QR 코드를 카메라에 비춰 주세요"),
  ok: () => t("scan.ok", "인증되었습니다"),
  expired: () => t("scan.expired", "유효시간이 지난 QR 코드입니다. 새로 발급해 주세요."),
  used: () => t("scan.used", "이미 다른 시설에서 사용된 QR 코드입니다."),
  invalid: () => t("scan.invalid", "유효한 출입 QR 코드가 아닙니다."),
  not_yet_valid: () => t("scan.notYetValid", "QR 코드의 시간이 맞지 않습니다. 방문자 휴대전화의 시간을 확인해 주세요."),
  network: networkText,
  unavailable: () => t("scan.unavailable", "지금은 QR 코드를 확인할 수 없습니다. 잠시 후 다시 스캔해 주세요."),
  logged_out: () => t("scan.loggedOut", "이 기기는 로그아웃되었습니다."),
  suspended: () => t("scan.suspended", "이 시설은 지금 스캔할 수 없습니다 (승인 대기 또는 정지)."),
  collection_stopped: () => t("scan.collectionStopped", "지금은 전자출입명부를 운영하지 않습니다 (수집 중단 또는 종료)."),
  camera: () => t("scan.noCamera", "카메라를 열 수 없습니다. 카메라 권한을 허용해 주세요."),
};

const TONE: Partial<Record<State, string>> = { ready: "", ok: "ok", expired: "warn", not_yet_valid: "warn" };

export const scannerPage: Page = (view, go) => {
  let stream: MediaStream | null = null;
  let opening = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const camera = h("select", { "aria-label": t("scan.camera", "카메라") }, h("option", { value: "environment" }, t("scan.rear", "후면")), h("option", { value: "user" }, t("scan.front", "전면")));
  const video = h("video", { autoplay: true, muted: true, playsinline: true });
  const result = h("div", { class: "result", role: "status", "aria-live": "assertive", "data-state": "ready" }, MESSAGES.ready());
  const root = h("div", { class: "scanner" }, video, result);

  function show(state: State, detail?: string): void {
    result.className = `result ${TONE[state] ?? "bad"}`;
    result.dataset.state = state;
    result.replaceChildren(MESSAGES[state](), ...(detail ? [h("small", {}, detail)] : []));
  }

  async function open(): Promise<void> {
    const mine = ++opening;
    stream?.getTracks().forEach((tr) => tr.stop());
    stream = null;
    let next: MediaStream;
    try {
      next = await navigator.mediaDevices.getUserMedia({ video: { facingMode: camera.value, width: { ideal: 1280 } }, audio: false });
    } catch {
      if (mine === opening && !stopped) show("camera");
      return;
    }
    // Left the page, or chose the other camera, while this one was opening: it must not stay on.
    if (stopped || mine !== opening) {
      next.getTracks().forEach((tr) => tr.stop());
      return;
    }
    stream = next;
    video.srcObject = next;
    if (result.dataset.state === "camera") show("ready");
    await video.play().catch(() => undefined);
  }

  /** Posts one QR and shows the answer; the state it showed. */
  async function post(text: string): Promise<State> {
    try {
      await api("/v1/scan", { body: { qr: text }, timeoutMs: SCAN_TIMEOUT_MS });
      if (stopped) return "ok";
      show("ok");
      announceVerified(language());
      return "ok";
    } catch (err) {
      const state = stateOf(err);
      if (stopped) return state;
      show(state, DETAILED.includes(state) ? detailOf(err) : undefined);
      announceRefused();
      return state;
    }
  }

  /** The registry no longer knows this device: an unattended kiosk must not keep refusing every visitor. */
  function loggedOut(): void {
    stop();
    saveSession(null);
    go("login?logged_out");
  }

  async function start(): Promise<void> {
    document.body.classList.add("kiosk");
    view.replaceChildren(root);
    await document.documentElement.requestFullscreen?.().catch(() => undefined);
    await open();
    if (stopped) return;
    const decoder = await createDecoder();
    root.dataset.decoder = decoder.kind;
    /** QR text → when its final answer came. */
    const answered = new Map<string, number>();
    let retryText = "";
    let retryAt = 0;
    let busy = false;
    const tick = async () => {
      if (stopped) return;
      const text = busy ? null : await decoder.decode(video);
      const now = Date.now();
      for (const [qr, at] of answered) if (now - at >= ANSWERED_MS) answered.delete(qr);
      if (text && !answered.has(text) && !(text === retryText && now < retryAt)) {
        busy = true;
        const state = await post(text);
        if (stopped) return;
        if (state === "logged_out") return loggedOut();
        if (RETRYABLE.includes(state)) {
          retryText = text;
          retryAt = Date.now() + RETRY_MS;
        } else answered.set(text, Date.now());
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
    stream = null;
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
