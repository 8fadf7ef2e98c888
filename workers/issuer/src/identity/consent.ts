/**
 * R-U2: the consent texts a user (or, under 14, their guardian — R-U3) reads
 * and accepts. Collection/use and third-party provision are separate
 * consents, each recorded with the text version and the SHA-256 of the exact
 * text shown, so a record proves what was agreed to.
 */
import { sha256, toBase64url, utf8 } from "@kipass/shared";

export const CONSENT_VERSION = "2026-11-v1";

export type ConsentPurpose = "collection_use" | "third_party";

export interface ConsentText {
  purpose: ConsentPurpose;
  title: { ko: string; en: string };
  body: { ko: string; en: string };
}

export const CONSENT_TEXTS: readonly ConsentText[] = [
  {
    purpose: "collection_use",
    title: { ko: "개인정보 수집·이용 동의", en: "Consent to collection and use of personal information" },
    body: {
      ko: "수집 항목: 이름, 휴대전화번호, 생년월일(만 14세 미만 확인용), QR 발급 시각. 목적: 감염병 예방 및 관리를 위한 전자출입명부 QR 발급. 보유 기간: QR 발급 기록은 발급일로부터 28일 후 파기합니다. 동의를 거부할 수 있으며, 이 경우 시설의 수기 출입명부를 이용할 수 있습니다.",
      en: "Collected: name, mobile number, birth date (to check the under-14 rule), QR issuance times. Purpose: issuing electronic entry-log QR codes for infectious disease control. Retention: QR issuance records are destroyed 28 days after issuance. You may refuse and use the facility's paper log instead.",
    },
  },
  {
    purpose: "third_party",
    title: { ko: "개인정보 제3자 제공 동의", en: "Consent to provision of personal information to a third party" },
    body: {
      ko: "제공받는 자: 질병관리청 및 지방자치단체(역학조사 시). 제공 항목: 이름, 휴대전화번호, QR 발급 기록. 목적: 확진자 발생 시 역학조사. 보유 기간: 발급일로부터 28일. 동의를 거부할 수 있으며, 이 경우 QR 발급이 제한됩니다.",
      en: "Recipients: the Korea Disease Control and Prevention Agency and local governments (for epidemiological investigations). Items: name, mobile number, QR issuance records. Purpose: contact tracing when a case is confirmed. Retention: 28 days from issuance. You may refuse; QR codes cannot then be issued.",
    },
  },
];

/** The hash recorded with each consent: of the exact Korean and English text shown. */
export async function consentTextHash(text: ConsentText): Promise<string> {
  return toBase64url(await sha256(utf8(JSON.stringify([CONSENT_VERSION, text.purpose, text.title, text.body]))));
}
