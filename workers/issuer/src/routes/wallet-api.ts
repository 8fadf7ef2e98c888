/**
 * The wallet's API (R-U2..R-U5): consent, phone verification, the guardian
 * flow for under-14s, device credentials, one-time QR tokens, and the safe
 * number of the day for paper logs (R-P1, R-U6). No route
 * takes or stores a facility id: the issuer never learns where a QR is used.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { AppError, assertCollecting, assertNotShutDown, errorResponses, normalizeMobile } from "@kipass/shared";
import { autoRegenerations, identity, smsProvider, type IssuerEnv } from "../config.js";
import { CONSENT_TEXTS, CONSENT_VERSION } from "../identity/consent.js";
import { authenticateDevice, issueDevice, revokeAllDevices, revokeDevice, routeCredential } from "../identity/devices.js";
import { enrolUser, isBirthDate, recordGuardianConsent } from "../identity/users.js";
import { confirmVerification, startVerification } from "../identity/verification.js";
import { qrSvg } from "../tokens/qr-svg.js";
import { userTokensOf, type CredentialMintResult, type SafeNumberResult } from "../tokens/user-tokens.js";
import { deviceOut, enrolmentIn, enrolmentOut, guardianConsentIn, safeNumberOut, tokenOut, verificationIn, verificationOut } from "./schemas.js";

const json = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } }, required: true as const });
const answer = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { "application/json": { schema } } });
const bearer = [{ deviceCredential: [] }];
const mobile = (phone: string) => normalizeMobile(phone)!; // already refined by the schema

const configRoute = createRoute({
  method: "get",
  path: "/api/v1/wallet/config",
  summary: "What the wallet shows: issuer, consent texts, how often an expired QR regenerates by itself",
  responses: {
    200: answer(
      "Wallet configuration",
      z.object({
        issuer: z.string(),
        name: z.string(),
        autoRegenerations: z.number().int(),
        consent: z.object({ version: z.string(), texts: z.array(z.object({ purpose: z.string(), title: z.record(z.string(), z.string()), body: z.record(z.string(), z.string()) })) }),
      }),
    ),
  },
});

const verificationRoute = createRoute({
  method: "post",
  path: "/api/v1/verifications",
  summary: "Send a 6-digit code by SMS (valid 3 minutes, 5 tries; one new code per 30 s)",
  request: { body: json(verificationIn) },
  responses: { 201: answer("Code sent", verificationOut), ...errorResponses(400, 410, 429, 502, 503) },
});

const enrolRoute = createRoute({
  method: "post",
  path: "/api/v1/enrolments",
  summary: "First use on a device: consents + verified phone → a long-lived device credential",
  request: { body: json(enrolmentIn) },
  responses: { 201: answer("Enrolled", enrolmentOut), ...errorResponses(400, 404, 410, 429) },
});

const guardianRoute = createRoute({
  method: "post",
  path: "/api/v1/guardian-consents",
  summary: "R-U3: a legal guardian verifies their own phone and consents for a child under 14, once",
  security: bearer,
  request: { body: json(guardianConsentIn) },
  responses: { 201: answer("Guardian consent recorded", deviceOut), ...errorResponses(400, 401, 404, 409, 410, 422, 429) },
});

const meRoute = createRoute({
  method: "get",
  path: "/api/v1/device",
  summary: "This device's state (is a guardian's consent still needed?)",
  security: bearer,
  responses: { 200: answer("Device", deviceOut), ...errorResponses(401) },
});

const tokenRoute = createRoute({
  method: "post",
  path: "/api/v1/tokens",
  summary: "A one-time QR token valid 15 s, with its SVG (R-U4). At least 2 s apart, at most 60 an hour.",
  security: bearer,
  responses: { 201: answer("Token", tokenOut), ...errorResponses(401, 403, 410, 429) },
});

const safeNumberRoute = createRoute({
  method: "get",
  path: "/api/v1/safe-number",
  summary: "R-P1, R-U6: today's safe number (개인안심번호, e.g. 12가34나) to write on a paper log instead of the phone number; a new one each KST day",
  security: bearer,
  responses: { 200: answer("Safe number", safeNumberOut), ...errorResponses(401, 403, 410, 503) },
});

const revokeRoute = createRoute({
  method: "delete",
  path: "/api/v1/device",
  summary: "Log this device out: its credential stops working at once",
  security: bearer,
  responses: { 200: answer("Revoked", z.object({ revoked: z.number().int() })), ...errorResponses(401) },
});

const revokeAllRoute = createRoute({
  method: "post",
  path: "/api/v1/devices/revoke-all",
  summary: "Log out of all devices of this user",
  security: bearer,
  responses: { 200: answer("Revoked", z.object({ revoked: z.number().int() })), ...errorResponses(401) },
});

export function mountWalletApi(app: OpenAPIHono<IssuerEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "deviceCredential", { type: "http", scheme: "bearer" });

  app.openapi(configRoute, (c) =>
    c.json({ ...identity(c.env), issuer: c.env.PARTY_ID, autoRegenerations: autoRegenerations(c.env), consent: { version: CONSENT_VERSION, texts: [...CONSENT_TEXTS] } }, 200),
  );

  app.openapi(verificationRoute, async (c) => {
    const now = c.var.clock.now();
    await assertNotShutDown(c.env.DB);
    const started = await startVerification(c.env, smsProvider(c.env, () => now), mobile(c.req.valid("json").phone), now);
    return c.json(started, 201);
  });

  app.openapi(enrolRoute, async (c) => {
    const now = c.var.clock.now();
    await assertNotShutDown(c.env.DB);
    const body = c.req.valid("json");
    if (!isBirthDate(body.birthDate, now)) throw new AppError(400, "invalid_request", "body.birthDate: must be a real date YYYY-MM-DD, not in the future");
    const phone = mobile(body.phone);
    const phoneHash = await confirmVerification(c.env, body.verificationId, phone, body.code, now);
    const user = await enrolUser(c.env, { name: body.name, phone, phoneHash, birthDate: body.birthDate }, now);
    const device = await issueDevice(c.env, user, now);
    return c.json({ ...device, guardianRequired: user.guardianRequired }, 201);
  });

  app.openapi(guardianRoute, async (c) => {
    const now = c.var.clock.now();
    const device = await authenticateDevice(c.env, c.req.header("authorization"), now);
    const body = c.req.valid("json");
    const phone = mobile(body.phone);
    const phoneHash = await confirmVerification(c.env, body.verificationId, phone, body.code, now);
    await recordGuardianConsent(c.env, device.userRef, { name: body.name, phone, phoneHash }, now);
    return c.json({ deviceId: device.deviceId, guardianRequired: false }, 201);
  });

  app.openapi(meRoute, async (c) => {
    const device = await authenticateDevice(c.env, c.req.header("authorization"), c.var.clock.now());
    return c.json({ deviceId: device.deviceId, guardianRequired: device.guardianRequired }, 200);
  });

  app.openapi(tokenRoute, async (c) => {
    const now = c.var.clock.now();
    await assertCollecting(c.env.DB); // R-O3; cached in the isolate, no D1 query per token
    // Hot path: one call to the user's object, which checks the credential, the guardian rule and the rate limit.
    const { userRef, credentialHash } = await routeCredential(c.env, c.req.header("authorization"));
    const minted = await userTokensOf(c.env, userRef).mintWithCredential(credentialHash, now);
    if (!minted.ok) throw mintRefusal(minted, (s) => c.header("retry-after", s));
    c.header("cache-control", "no-store");
    return c.json({ qr: minted.qr, jti: minted.jti, issuedAt: minted.issuedAt, expiresAt: minted.expiresAt, serverTime: now, svg: qrSvg(minted.qr) }, 201);
  });

  app.openapi(safeNumberRoute, async (c) => {
    await assertCollecting(c.env.DB); // R-O3: paper logs are collection too
    const { userRef, credentialHash } = await routeCredential(c.env, c.req.header("authorization"));
    const result = await userTokensOf(c.env, userRef).safeNumberWithCredential(credentialHash, c.var.clock.now());
    if (!result.ok) throw credentialRefusal(result);
    c.header("cache-control", "no-store");
    return c.json({ safeNumber: result.safeNumber, day: result.day, validUntil: result.validUntil }, 200);
  });

  app.openapi(revokeRoute, async (c) => {
    const now = c.var.clock.now();
    const device = await authenticateDevice(c.env, c.req.header("authorization"), now);
    await revokeDevice(c.env, device, now);
    return c.json({ revoked: 1 }, 200);
  });

  app.openapi(revokeAllRoute, async (c) => {
    const now = c.var.clock.now();
    const device = await authenticateDevice(c.env, c.req.header("authorization"), now);
    return c.json({ revoked: await revokeAllDevices(c.env, device.userRef, now) }, 200);
  });
}

function mintRefusal(refused: Exclude<CredentialMintResult, { ok: true }>, retryAfter: (seconds: string) => void): AppError {
  switch (refused.code) {
    case "rate_limited":
      retryAfter(String(Math.ceil(refused.retryAfterMs / 1000)));
      return new AppError(429, "rate_limited", "잠시 후 다시 시도하세요 / too many QR codes; try again shortly");
    default:
      return credentialRefusal(refused);
  }
}

function credentialRefusal(refused: Exclude<SafeNumberResult, { ok: true }>): AppError {
  switch (refused.code) {
    case "revoked_credential":
      return new AppError(401, "revoked_credential", "기기 인증이 해제되었습니다. 다시 인증하세요 / this device credential is unknown or revoked; verify again");
    case "guardian_consent_required":
      return new AppError(403, "guardian_consent_required", "만 14세 미만은 보호자 동의가 필요합니다 / a guardian must consent first (under 14)");
    case "safe_number_unavailable":
      return new AppError(503, "safe_number_unavailable", "안심번호를 만들 수 없습니다. 잠시 후 다시 시도하세요 / no safe number is free right now; try again later");
  }
}
