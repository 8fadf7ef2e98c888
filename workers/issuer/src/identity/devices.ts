/**
 * Device credentials (R-U2): after phone verification a device holds a
 * long-lived bearer credential, stored only as its SHA-256, so later QR
 * requests need no new verification.
 *
 *   credential = <userRef hex> "." <tag> "." <secret>
 *
 * `tag` is a keyed hash of the user reference (LOOKUP_KEY), so the token
 * endpoint can route straight to the user's UserTokens object without D1 and
 * a made-up credential never wakes an object. The object holds the hashes of
 * the live credentials; D1 keeps the same rows for listing and audit.
 * Revocation writes the object first: it takes effect on the next request.
 */
import { AppError, credentialHash, newCredential, randomBytes, toBase64url } from "@kipass/shared";
import { lookupHash, type IssuerBindings } from "../config.js";
import { userTokensOf } from "../tokens/user-tokens.js";

export interface Device {
  deviceId: string;
  userRef: string;
  /** R-U3: set while the user is under 14 and no guardian has consented. */
  guardianRequired: boolean;
}

const CREDENTIAL = /^Bearer ([0-9a-f]{32})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;
const routingTag = async (env: IssuerBindings, userRef: string) => (await lookupHash(env, "device-route", userRef)).slice(0, 22);

const noCredential = () => new AppError(401, "no_credential", "기기 인증이 필요합니다 / this device has no credential: verify your phone first");
const revoked = () => new AppError(401, "revoked_credential", "기기 인증이 해제되었습니다. 다시 인증하세요 / this device credential is unknown or revoked; verify again");

export async function issueDevice(
  env: IssuerBindings,
  user: { userRef: string; minorUntil: number | null; guardianAt: number | null },
  now: number,
): Promise<{ deviceId: string; credential: string }> {
  const credential = `${user.userRef}.${await routingTag(env, user.userRef)}.${newCredential()}`;
  const deviceId = toBase64url(randomBytes(12));
  const hash = await credentialHash(credential);
  await env.DB.prepare("INSERT INTO devices (id, user_ref, credential_hash, created_at) VALUES (?, ?, ?, ?)").bind(deviceId, user.userRef, hash, now).run();
  // Only once the object knows the credential is it handed out: a failure here leaves a row nobody holds.
  await userTokensOf(env, user.userRef).register(user.userRef, { id: deviceId, credentialHash: hash }, user.minorUntil, user.guardianAt);
  return { deviceId, credential };
}

/** The user and credential hash behind `Authorization: Bearer <credential>`, checked without storage. */
export async function routeCredential(env: IssuerBindings, authorization: string | undefined): Promise<{ userRef: string; credentialHash: string }> {
  const m = CREDENTIAL.exec(authorization ?? "");
  if (!m) throw noCredential();
  if (m[2] !== (await routingTag(env, m[1]!))) throw revoked();
  return { userRef: m[1]!, credentialHash: await credentialHash(authorization!.slice("Bearer ".length)) };
}

/** The device behind a credential, from D1 (routes off the hot path); 401 when unknown or revoked. */
export async function authenticateDevice(env: IssuerBindings, authorization: string | undefined, now: number): Promise<Device> {
  const { credentialHash: hash } = await routeCredential(env, authorization);
  const row = await env.DB.prepare(
    `SELECT d.id, d.user_ref, u.minor_until, g.consented_at
     FROM devices d JOIN users u ON u.user_ref = d.user_ref LEFT JOIN guardian_consents g ON g.user_ref = d.user_ref
     WHERE d.credential_hash = ? AND d.revoked_at IS NULL`,
  )
    .bind(hash)
    .first<{ id: string; user_ref: string; minor_until: number | null; consented_at: number | null }>();
  if (!row) throw revoked();
  const minor = row.minor_until !== null && row.minor_until > now;
  return { deviceId: row.id, userRef: row.user_ref, guardianRequired: minor && row.consented_at === null };
}

export async function revokeDevice(env: IssuerBindings, device: Device, now: number): Promise<void> {
  await userTokensOf(env, device.userRef).revokeDevice(device.deviceId, now);
  await env.DB.prepare("UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").bind(now, device.deviceId).run();
}

/** "Log out of all devices": every credential of the user stops working at once. */
export async function revokeAllDevices(env: IssuerBindings, userRef: string, now: number): Promise<number> {
  const revokedCount = await userTokensOf(env, userRef).revokeAllDevices(now);
  await env.DB.prepare("UPDATE devices SET revoked_at = ? WHERE user_ref = ? AND revoked_at IS NULL").bind(now, userRef).run();
  return revokedCount;
}
