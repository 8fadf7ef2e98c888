/**
 * The scan hot path (architecture.md): device session → token verification
 * against the issuer trust list → TokenLedger claim → Facility records the
 * visit → "인증되었습니다". D1 is not touched (the alert level is cached in
 * the isolate, shared/src/operations.ts). The worker makes the two calls in
 * that order, as architecture.md draws them, so the ledger call is not held
 * behind a busy Facility object's pending writes (its output gate). The
 * device and the facility's status live in the Facility object, so they are
 * checked after the claim: a scan refused there releases the claim it made
 * and stores nothing (architecture.md: every step).
 */
import { AppError, assertCollecting, parseToken, verifyToken, type ErrorStatus, type TokenErrorCode, type VerifiedToken } from "@kipass/shared";
import { scannerSession } from "./auth.js";
import { lookupHash, type RegistryBindings } from "./config.js";
import { facilityObject, ledgerObject } from "./directory/objects.js";
import type { ScanRefusal } from "./durable/facility.js";
import { ledgerShard } from "./durable/shards.js";
import type { ClaimRefusal } from "./durable/token-ledger.js";
import { issuerKeys } from "./trust.js";

export const SCAN_OK_MESSAGE = "인증되었습니다 / Verified";

const TOKEN_REFUSALS: Record<TokenErrorCode, [ErrorStatus, string]> = {
  malformed: [400, "QR 코드를 읽을 수 없습니다 / This is not a KI-Pass QR code"],
  unknown_issuer: [422, "인정되지 않은 발급기관의 QR입니다 / QR from an issuer this registry does not trust"],
  unknown_key: [422, "발급기관의 키를 확인할 수 없습니다 / QR signed by a key the issuer does not publish"],
  bad_signature: [422, "위조되었거나 손상된 QR입니다 / QR signature does not verify"],
  expired: [422, "유효시간(15초)이 지난 QR입니다. 새로 발급해 주세요 / QR expired (15 s): show a new one"],
  not_yet_valid: [422, "아직 유효하지 않은 QR입니다. 기기 시간을 확인하세요 / QR not valid yet: check the device clock"],
};

const ISSUER_KEYS_UNAVAILABLE = "발급기관의 키를 가져오지 못했습니다. 잠시 후 다시 스캔하세요 / The issuer's keys cannot be fetched right now: scan again shortly";

const SCAN_REFUSALS: Record<ScanRefusal | ClaimRefusal, [ErrorStatus, string]> = {
  facility_unknown: [404, "등록되지 않은 시설입니다 / Unknown facility"],
  facility_pending: [403, "지자체 승인 대기 중인 시설입니다 / Facility awaits local-government approval"],
  facility_suspended: [403, "이용이 정지된 시설입니다 / Facility is suspended pending review"],
  facility_rejected: [403, "승인이 거절된 시설입니다 / Facility registration was rejected"],
  event_not_active: [403, "행사 기간이 아닙니다 / The event is not running now"],
  session_invalid: [401, "다시 로그인하세요 / Session expired: log in again"],
  device_revoked: [401, "이 기기의 권한이 해제되었습니다 / This device's account was removed"],
  token_used: [409, "이미 다른 시설에서 사용된 QR입니다 / QR already used at another facility"],
  day_closed: [409, "기록할 수 없는 날짜입니다 / That day is closed for records"],
};

const refuse = (table: Record<string, [ErrorStatus, string]>, code: string): AppError => {
  const [status, message] = table[code]!;
  return new AppError(status, code, message);
};

/**
 * Verifies against the cached trust list; an unknown key id refetches that
 * issuer (at most once per 30 s). A trusted issuer whose keys could not be
 * fetched is not "untrusted": the device is told to try again shortly.
 */
export async function verifyScannedToken(env: RegistryBindings, qr: string, now: number): Promise<VerifiedToken> {
  const keys = issuerKeys(env.TRUSTED_ISSUERS);
  let result = await verifyToken(qr, await keys.trustList(), now);
  if (!result.ok && result.code === "unknown_key") {
    const parsed = parseToken(qr);
    if (!("ok" in parsed) && (await keys.refresh(parsed.issuer))) result = await verifyToken(qr, await keys.trustList(), now);
  }
  if (!result.ok && result.code === "unknown_issuer") {
    const parsed = parseToken(qr);
    if (!("ok" in parsed) && keys.has(parsed.issuer)) throw new AppError(503, "issuer_keys_unavailable", ISSUER_KEYS_UNAVAILABLE);
  }
  if (!result.ok) throw refuse(TOKEN_REFUSALS, result.code);
  return result;
}

export interface ScanAnswer {
  ok: true;
  message: string;
  /** True when this token was already recorded here: a harmless re-scan (R-U8). */
  repeat: boolean;
  scannedAt: number;
}

export async function scan(env: RegistryBindings, session: string, qr: string, now: number): Promise<ScanAnswer> {
  await assertCollecting(env.DB); // R-O3; cached in the isolate, no D1 query per scan
  const device = await scannerSession(env, session);
  if (!device) throw refuse(SCAN_REFUSALS, "session_invalid");
  const { facilityId, sessionHash } = device;
  const token = await verifyScannedToken(env, qr, now);
  const tokenHash = await lookupHash(env, "token", token.jti);
  const shard = ledgerShard(tokenHash);
  const ledger = ledgerObject(env, shard);
  const claim = await ledger.claimToken({ shard, tokenHash, facilityId, now });
  if (!claim.ok) throw refuse(SCAN_REFUSALS, claim.code);
  const outcome = await facilityObject(env, facilityId).scan({ sessionHash, tokenHash, qr, now });
  if (!outcome.ok) {
    // The ledger keeps the claim while an accepted scan here relies on it. The refusal is
    // the answer even if the ledger cannot be reached now: the claim left behind refuses
    // this QR elsewhere only until it expires (15 s), and records no visit.
    await ledger
      .releaseClaim({ tokenHash, facilityId, first: claim.first, now })
      .catch((err: unknown) => console.error("refused scan's claim not released", err instanceof Error ? err.message : String(err)));
    throw refuse(SCAN_REFUSALS, outcome.code);
  }
  return { ok: true, message: SCAN_OK_MESSAGE, repeat: outcome.repeat, scannedAt: outcome.at };
}
