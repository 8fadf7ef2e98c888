/** Request and answer shapes of the wallet API: every input is checked here, at the edge. */
import { z } from "@hono/zod-openapi";
import { normalizeMobile } from "@kipass/shared";
import { CONSENT_VERSION } from "../identity/consent.js";

export const phoneIn = z
  .string()
  .max(20)
  .refine((p) => normalizeMobile(p) !== null, "must be a Korean mobile number (010-1234-5678)")
  .openapi({ example: "010-1234-5678" });

export const personName = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .refine((n) => !/[\p{Cc}<>]/u.test(n), "must not contain control characters or < >")
  .openapi({ example: "홍길동" });

export const verificationId = z.string().regex(/^[A-Za-z0-9_-]{22}$/, "unknown verification id");
export const smsCode = z.string().regex(/^\d{6}$/, "must be the 6-digit code");

/** R-U2: both consents, separately, for the current text version. */
export const consentIn = z
  .object({
    version: z.literal(CONSENT_VERSION),
    collectionUse: z.literal(true),
    thirdParty: z.literal(true),
  })
  .strict()
  .openapi("Consent");

export const verifiedPhone = { verificationId, phone: phoneIn, code: smsCode };

export const verificationIn = z.object({ phone: phoneIn }).strict().openapi("VerificationRequest");
export const verificationOut = z
  .object({ verificationId: z.string(), expiresAt: z.number().int(), resendAfter: z.number().int() })
  .openapi("Verification");

export const enrolmentIn = z
  .object({ ...verifiedPhone, name: personName, birthDate: z.string().openapi({ example: "1990-05-17" }), consent: consentIn })
  .strict()
  .openapi("Enrolment");
export const enrolmentOut = z
  .object({ credential: z.string(), deviceId: z.string(), guardianRequired: z.boolean() })
  .openapi("DeviceCredential");

export const guardianConsentIn = z.object({ ...verifiedPhone, name: personName, consent: consentIn }).strict().openapi("GuardianConsent");

export const deviceOut = z.object({ deviceId: z.string(), guardianRequired: z.boolean() }).openapi("Device");

export const tokenOut = z
  .object({
    qr: z.string(),
    /** The token's id: the wallet asks the registry whether it has been scanned (relay check). */
    jti: z.string(),
    issuedAt: z.number().int(),
    expiresAt: z.number().int(),
    /** The server's clock when minting: the wallet counts down expiresAt − serverTime on its own clock. */
    serverTime: z.number().int(),
    svg: z.string(),
  })
  .openapi("QrToken");

export const safeNumberOut = z
  .object({
    safeNumber: z.string().openapi({ example: "12가34나" }),
    /** The KST day it is valid for; a new one the next day. */
    day: z.string().openapi({ example: "2026-11-27" }),
    validUntil: z.number().int(),
  })
  .openapi("SafeNumber");
