/**
 * The people of a test scenario, acting through the parties' public APIs
 * exactly as their apps would: visitors enrol at an issuer (SMS code read
 * from the dev outbox) and get QR tokens; facility managers register (phone
 * proof), log in, add staff devices; devices scan.
 */
import { localFetch } from "./local-fetch.js";

const json = async <T>(res: Response): Promise<T> => {
  const body = (await res.json()) as T & { error?: { code: string; message: string } };
  if (!res.ok) throw new Error(`${res.status} ${body.error?.code ?? ""}: ${body.error?.message ?? ""}`);
  return body;
};
const post = <T>(url: string, body: unknown, token?: string) =>
  localFetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  }).then((r) => json<T>(r));

/** The newest 6-digit code a party's dev outbox holds for `phone` (issuers and the registry alike). */
export async function codeFromOutbox(partyUrl: string, phone: string): Promise<string> {
  const { messages } = await json<{ messages: { text: string }[] }>(await localFetch(`${partyUrl}/dev/outbox?phone=${encodeURIComponent(phone)}`));
  const code = /\b(\d{6})\b/.exec(messages[0]?.text ?? "")?.[1];
  if (!code) throw new Error(`no code in the outbox for ${phone}`);
  return code;
}

export interface Visitor {
  name: string;
  phone: string;
  birthDate: string;
}

/** First use of the wallet: consents, SMS verification → device credential (R-U2). */
export async function enrolVisitor(issuerUrl: string, v: Visitor): Promise<{ credential: string; guardianRequired: boolean }> {
  const config = await json<{ consent: { version: string } }>(await localFetch(`${issuerUrl}/api/v1/wallet/config`));
  const { verificationId } = await post<{ verificationId: string }>(`${issuerUrl}/api/v1/verifications`, { phone: v.phone });
  const code = await codeFromOutbox(issuerUrl, v.phone);
  return post(`${issuerUrl}/api/v1/enrolments`, {
    verificationId,
    phone: v.phone,
    code,
    name: v.name,
    birthDate: v.birthDate,
    consent: { version: config.consent.version, collectionUse: true, thirdParty: true },
  });
}

export async function mintQr(issuerUrl: string, credential: string): Promise<{ qr: string; expiresAt: number }> {
  return post(`${issuerUrl}/api/v1/tokens`, {}, credential);
}

export interface FacilityInput {
  managerPhone: string;
  loginId: string;
  password: string;
  businessName: string;
  businessNumber: string;
  addressDetail: string;
  industry?: string;
  sido?: string;
  sigungu?: string;
}

/** R-F1/R-F4: phone proof, then the registration. */
export async function registerFacility(registryUrl: string, f: FacilityInput): Promise<{ facilityId: string; status: string }> {
  await post(`${registryUrl}/v1/phone/code`, { phone: f.managerPhone });
  const code = await codeFromOutbox(registryUrl, f.managerPhone);
  const { phoneProof } = await post<{ phoneProof: string }>(`${registryUrl}/v1/phone/verify`, { phone: f.managerPhone, code });
  return post(`${registryUrl}/v1/facilities`, {
    consent: true,
    phoneProof,
    loginId: f.loginId,
    password: f.password,
    businessName: f.businessName,
    businessNumber: f.businessNumber,
    representative: "대표자",
    businessPhone: "02-123-4567",
    industry: f.industry ?? "karaoke",
    jurisdiction: { sido: f.sido ?? "서울특별시", sigungu: f.sigungu ?? "용산구" },
    address: "서울특별시 용산구 이태원로 1",
    addressDetail: f.addressDetail,
  });
}

export async function login(registryUrl: string, loginId: string, password: string): Promise<string> {
  return (await post<{ session: string }>(`${registryUrl}/v1/login`, { loginId, password })).session;
}

export async function addStaff(registryUrl: string, ownerSession: string, loginId: string, password: string, description: string): Promise<void> {
  await post(`${registryUrl}/v1/facility/staff`, { loginId, password, description }, ownerSession);
}

export async function scanQr(registryUrl: string, deviceSession: string, qr: string): Promise<{ status: number; body: { ok?: boolean; error?: { code: string } } }> {
  const res = await localFetch(`${registryUrl}/v1/scan`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${deviceSession}` },
    body: JSON.stringify({ qr }),
  });
  return { status: res.status, body: (await res.json()) as { ok?: boolean; error?: { code: string } } };
}

/** A valid 사업자등록번호 from any nine digits: the check digit computed as R-F1 defines it. */
export function validBusinessNumber(nineDigits: string): string {
  const w = [1, 3, 7, 1, 3, 7, 1, 3, 5];
  const d = [...nineDigits].map(Number);
  const sum = w.reduce((acc, x, i) => acc + x * d[i]!, 0) + Math.floor((d[8]! * 5) / 10);
  return `${nineDigits.slice(0, 3)}-${nineDigits.slice(3, 5)}-${nineDigits.slice(5)}${(10 - (sum % 10)) % 10}`;
}

/** R-U3: a guardian verifies their own phone and consents for a child under 14, once. */
export async function guardianConsents(issuerUrl: string, childCredential: string, guardian: { name: string; phone: string }): Promise<void> {
  const config = await json<{ consent: { version: string } }>(await localFetch(`${issuerUrl}/api/v1/wallet/config`));
  const { verificationId } = await post<{ verificationId: string }>(`${issuerUrl}/api/v1/verifications`, { phone: guardian.phone });
  const code = await codeFromOutbox(issuerUrl, guardian.phone);
  await post(
    `${issuerUrl}/api/v1/guardian-consents`,
    { verificationId, phone: guardian.phone, code, name: guardian.name, consent: { version: config.consent.version, collectionUse: true, thirdParty: true } },
    childCredential,
  );
}

/** Local stack only: the time a request happens at (see DEV_NOW_HEADER in shared/src/http.ts). */
export const at = (ms: number): Record<string, string> => ({ "x-kipass-dev-now": String(ms) });

export async function mintQrAt(issuerUrl: string, credential: string, when: number): Promise<{ qr: string }> {
  const res = await localFetch(`${issuerUrl}/api/v1/tokens`, { method: "POST", headers: { authorization: `Bearer ${credential}`, ...at(when) } });
  return json(res);
}

export async function scanQrAt(registryUrl: string, deviceSession: string, qr: string, when: number): Promise<void> {
  const res = await localFetch(`${registryUrl}/v1/scan`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${deviceSession}`, ...at(when) },
    body: JSON.stringify({ qr }),
  });
  await json(res);
}
