/**
 * Test helper: the wallet's side of the API, reading SMS codes from the dev
 * outbox as a person would read their phone.
 */
import { exports } from "cloudflare:workers";
import { expect } from "vitest";

export const BASE = "https://naver.test";
export const CONSENT = { version: "2026-11-v1", collectionUse: true, thirdParty: true } as const;

export const call = (path: string, init: RequestInit & { credential?: string } = {}) => {
  const headers = new Headers(init.headers);
  if (init.body !== undefined) headers.set("content-type", "application/json");
  if (init.credential) headers.set("authorization", `Bearer ${init.credential}`);
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers }));
};

export const post = (path: string, body: unknown, credential?: string) => call(path, { method: "POST", body: JSON.stringify(body), credential });

let counter = 0;
/** A fresh, valid mobile number per call (the tests share one D1 per file). */
export const freshPhone = () => `010${String(Date.now() % 10_000).padStart(4, "0")}${String(++counter).padStart(4, "0")}`;

/** Asks for a code and reads it from the dev outbox. */
export async function verify(phone: string): Promise<{ verificationId: string; code: string }> {
  const res = await post("/api/v1/verifications", { phone });
  expect(res.status, await res.clone().text()).toBe(201);
  const { verificationId } = (await res.json()) as { verificationId: string };
  const outbox = (await (await call(`/dev/outbox?phone=${phone}`)).json()) as { messages: { text: string }[] };
  const code = /\b(\d{6})\b/.exec(outbox.messages[0]?.text ?? "")?.[1];
  if (!code) throw new Error("no code in the outbox");
  return { verificationId, code };
}

export interface Enrolled {
  credential: string;
  deviceId: string;
  guardianRequired: boolean;
  phone: string;
}

export async function enrol(opts: { phone?: string; name?: string; birthDate?: string } = {}): Promise<Enrolled> {
  const phone = opts.phone ?? freshPhone();
  const v = await verify(phone);
  const res = await post("/api/v1/enrolments", { ...v, phone, name: opts.name ?? "홍길동", birthDate: opts.birthDate ?? "1990-05-17", consent: CONSENT });
  expect(res.status, await res.clone().text()).toBe(201);
  return { ...((await res.json()) as Omit<Enrolled, "phone">), phone };
}

export const mint = (credential: string) => post("/api/v1/tokens", {}, credential);
