/**
 * The registry's public API, and nothing else (no other origin is contacted).
 * Every failure becomes an ApiError with the registry's error code, or
 * "network" when the registry cannot be reached (R-F7), or `http_<status>`
 * for an answer without the registry's JSON; its message is always fit to show.
 */
import { language, t } from "./i18n.js";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let registry = "";

/** Waits before each attempt at /config.json, and how long one may take: a dropped or hung request must not leave a blank page. */
const CONFIG_ATTEMPTS_MS = [0, 500, 1_000, 2_000];
const CONFIG_TIMEOUT_MS = 5_000;

/** Reads where the registry is; false when /config.json cannot be had after every attempt. */
export async function loadConfig(): Promise<boolean> {
  for (const wait of CONFIG_ATTEMPTS_MS) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      const res = await fetch("/config.json", { cache: "no-store", signal: AbortSignal.timeout(CONFIG_TIMEOUT_MS) });
      const body = (await res.json()) as { registryUrl?: unknown };
      if (res.ok && typeof body.registryUrl === "string") {
        registry = body.registryUrl.replace(/\/$/, "");
        return true;
      }
    } catch {
      // timed out, dropped, or not our JSON (a proxy's error page): try again
    }
  }
  return false;
}

/** A change the registry recorded but its scanners follow only within a minute (202, or `takesEffect` in the answer). */
export const appliedLater = (answer: unknown): boolean =>
  typeof answer === "object" && answer !== null && (answer as { takesEffect?: unknown }).takesEffect === "within_a_minute";

export interface Session {
  session: string;
  role: "owner" | "staff" | "approver";
  facilityId: string | null;
  loginId: string;
}

const KEY = "kp-session";
export const currentSession = (): Session | null => JSON.parse(localStorage.getItem(KEY) ?? "null") as Session | null;
export const saveSession = (s: Session | null): void => (s ? localStorage.setItem(KEY, JSON.stringify(s)) : localStorage.removeItem(KEY));

/** A request the registry has not answered by then is a network failure: a hung request must not freeze a page (a kiosk runs unattended). */
export const API_TIMEOUT_MS = 30_000;

export async function api<T>(path: string, init: { method?: string; body?: unknown; auth?: boolean; timeoutMs?: number } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const s = currentSession();
  if (init.auth !== false && s) headers.authorization = `Bearer ${s.session}`;
  const signal = AbortSignal.timeout(init.timeoutMs ?? API_TIMEOUT_MS);
  let res: Response;
  let body: { error?: { code: string; message: string } } | null;
  try {
    res = await fetch(registry + path, {
      method: init.method ?? (init.body !== undefined ? "POST" : "GET"),
      headers,
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      signal,
    });
    if (res.status === 204) return undefined as T;
    // Not JSON (a proxy's error page) is null; a body cut off by the timeout is a network failure.
    body = (await res.json().catch((err: unknown) => {
      if (signal.aborted) throw err;
      return null;
    })) as typeof body;
  } catch {
    throw new ApiError(0, "network", networkText());
  }
  // Without the registry's own message (a proxy's page, an outage) there is nothing to show but that it failed: statusText is empty over HTTP/2.
  if (!res.ok) throw new ApiError(res.status, body?.error?.code ?? `http_${res.status}`, body?.error?.message || t("error.server", "서버에 일시적인 문제가 있습니다. 잠시 후 다시 시도해 주세요."));
  return body as T;
}

/** No answer at all: most often the device is offline. The scanner says the same. */
export const networkText = (): string => t("error.network", "네트워크에 연결되어 있지 않습니다. Wi-Fi 또는 모바일 데이터를 확인하세요.");

/** The registry words its messages "한국어 / English": only the page's language is shown. */
export function inPageLanguage(message: string): string {
  const split = message.indexOf(" / ");
  if (split < 0) return message;
  const en = message.slice(split + 3);
  return language() === "en" && en ? en : message.slice(0, split);
}

/** A failure as the user should read it. */
export function errorText(err: unknown): string {
  return err instanceof ApiError ? inPageLanguage(err.message) : String(err);
}
