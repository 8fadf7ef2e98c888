// Test helpers: drive the registry over its public API as a facility, a
// scanner device, an approver and an issuer (minting real KP1 tokens with
// the test issuers' keys) would.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { exports, env } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../src/index.js";
import { SEALED_BYTES, importPartyKey, isValidBusinessNumber, mintToken, randomBytes, type KeyRing, type PartyJwk } from "../../../shared/src/index.js";

export const BASE = "https://registry.test";
export const testEnv = env as typeof env & {
  TEST_ISSUER_KEYS: string;
  TEST_AUTHORITY_SIGNING: string;
  TEST_AUTHORITY_ENCRYPTION: string;
  ADMIN_TOKEN: string;
  OPERATOR_TOKEN: string;
};

export const send = (req: Request) => exports.default.fetch(req);

/** Runs the registry's every-minute cron as of `at`, to the end of its work. */
export async function runCron(at = Date.now()): Promise<void> {
  const ctx = createExecutionContext();
  worker.scheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

export async function call(method: string, path: string, body?: unknown, session?: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (session) headers.authorization = `Bearer ${session}`;
  return send(new Request(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }));
}

export async function json<T = Record<string, unknown>>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

export async function errorCode(res: Response): Promise<{ status: number; code: string }> {
  const body = (await res.json()) as { error: { code: string } };
  return { status: res.status, code: body.error.code };
}

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

export const randomPhone = () => `010${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;

/** A business number with a valid check digit. */
export function validBusinessNumber(): string {
  const stem = String(Math.floor(Math.random() * 1e9)).padStart(9, "0");
  for (let d = 0; d < 10; d++) if (isValidBusinessNumber(stem + d)) return stem + d;
  throw new Error("unreachable");
}

/** The same number with a wrong check digit. */
export const wrongCheckDigit = (brn: string) => brn.slice(0, 9) + String((Number(brn[9]) + 1) % 10);

export async function lastSms(phone: string): Promise<string> {
  const body = await json<{ messages: { text: string }[] }>(await call("GET", `/dev/outbox?phone=${phone}`), 200);
  expect(body.messages.length).toBeGreaterThan(0);
  return body.messages[0]!.text;
}

export async function phoneProof(phone: string): Promise<string> {
  await json(await call("POST", "/v1/phone/code", { phone }), 200);
  const code = /(\d{6})/.exec(await lastSms(phone))![1]!;
  return (await json<{ phoneProof: string }>(await call("POST", "/v1/phone/verify", { phone, code }), 200)).phoneProof;
}

export interface Registered {
  facilityId: string;
  status: string;
  loginId: string;
  password: string;
  phone: string;
}

export const JURISDICTION = { sido: "서울특별시", sigungu: "마포구" };

export function registration(overrides: Record<string, unknown> = {}) {
  return {
    consent: true,
    loginId: `own${unique()}`,
    password: "correct horse battery",
    businessName: "홍대 노래연습장",
    businessNumber: validBusinessNumber(),
    representative: "김대표",
    businessPhone: "02-123-4567",
    industry: "karaoke",
    jurisdiction: JURISDICTION,
    address: "서울특별시 마포구 와우산로 1",
    addressDetail: "2층",
    ...overrides,
  };
}

export async function registerFacility(overrides: Record<string, unknown> = {}, phone = randomPhone()): Promise<Registered> {
  const body = registration({ phoneProof: await phoneProof(phone), ...overrides });
  const out = await json<{ facilityId: string; status: string }>(await call("POST", "/v1/facilities", body), 201);
  return { ...out, loginId: body.loginId as string, password: body.password as string, phone };
}

export async function login(loginId: string, password: string): Promise<string> {
  return (await json<{ session: string }>(await call("POST", "/v1/login", { loginId, password }), 200)).session;
}

/** A registered, active facility and a logged-in owner device. */
export async function activeFacility(): Promise<Registered & { session: string }> {
  const f = await registerFacility();
  return { ...f, session: await login(f.loginId, f.password) };
}

export async function addStaff(ownerSession: string, description = "정문 입구 / main entrance"): Promise<{ id: string; session: string }> {
  const loginId = `stf${unique()}`;
  const password = "staff password 1";
  const { id } = await json<{ id: string }>(await call("POST", "/v1/facility/staff", { loginId, password, description }, ownerSession), 201);
  return { id, session: await login(loginId, password) };
}

export async function approver(jurisdiction = JURISDICTION): Promise<string> {
  const loginId = `apv${unique()}`;
  const password = "approver password";
  await json(await call("POST", "/v1/admin/approvers", { loginId, password, jurisdiction }, testEnv.ADMIN_TOKEN), 201);
  return login(loginId, password);
}

const rings = JSON.parse(testEnv.TEST_ISSUER_KEYS) as Record<"naver" | "passBefore" | "passNow", KeyRing>;
export const issuerRings = rings;

export interface MintOptions {
  issuer?: string;
  key?: PartyJwk;
  now?: number;
}

/** A real KP1 token, as an issuer's wallet would show it. */
export async function mintQr(opts: MintOptions = {}) {
  const key = opts.key ?? rings.naver.current;
  return mintToken({
    issuer: opts.issuer ?? "naver",
    kid: key.kid,
    privateKey: await importPartyKey(key, "private"),
    sealed: randomBytes(SEALED_BYTES),
    now: opts.now ?? Date.now(),
  });
}

export const scan = (session: string, qr: string) => call("POST", "/v1/scan", { qr }, session);

export async function hourly(ownerSession: string, day?: string) {
  return json<{ day: string; hours: { hour: number; visitors: number }[]; total: number }>(
    await call("GET", `/v1/facility/counts/hourly${day ? `?day=${day}` : ""}`, undefined, ownerSession),
    200,
  );
}
