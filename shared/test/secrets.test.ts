import { describe, expect, it } from "vitest";
import {
  PBKDF2_ITERATIONS,
  aesKey,
  credentialHash,
  decryptField,
  encryptField,
  hashPassword,
  hmacKey,
  keyedHash,
  newCredential,
  randomBytes,
  toBase64url,
  verifyPassword,
} from "../src/index.js";

describe("passwords", () => {
  it("stays within the 100,000 PBKDF2 iterations production Workers allow", () => {
    // Local workerd accepts more; production throws. This guard is the only place that catches it.
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(100_000);
  });

  it("verifies the right password and refuses a wrong one, salted per hash", async () => {
    const a = await hashPassword("정문-입구-2020!");
    const b = await hashPassword("정문-입구-2020!");
    expect(a).not.toBe(b);
    expect(a.split("$")[1]).toBe(String(PBKDF2_ITERATIONS));
    expect(await verifyPassword("정문-입구-2020!", a)).toBe(true);
    expect(await verifyPassword("정문-입구-2020?", a)).toBe(false);
  });

  it("refuses stored hashes that ask for more iterations than production allows", async () => {
    const stored = await hashPassword("pw");
    const inflated = stored.replace(`$${PBKDF2_ITERATIONS}$`, "$600000$");
    expect(await verifyPassword("pw", inflated)).toBe(false);
    expect(await verifyPassword("pw", "garbage")).toBe(false);
  });
});

describe("credentials and keyed hashes", () => {
  it("issues distinct 256-bit credentials and stores only their hash", async () => {
    const c = newCredential();
    expect(c).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newCredential()).not.toBe(c);
    expect(await credentialHash(c)).not.toContain(c);
    expect(await credentialHash(c)).toBe(await credentialHash(c));
  });

  it("hashes a phone number per key, so another party's table cannot be joined", async () => {
    const k1 = await hmacKey(toBase64url(randomBytes(32)));
    const k2 = await hmacKey(toBase64url(randomBytes(32)));
    expect(await keyedHash(k1, "01012345678")).toBe(await keyedHash(k1, "01012345678"));
    expect(await keyedHash(k1, "01012345678")).not.toBe(await keyedHash(k2, "01012345678"));
    await expect(hmacKey("short")).rejects.toThrow();
  });
});

describe("field encryption", () => {
  it("round-trips and binds the ciphertext to its context", async () => {
    const key = await aesKey(randomBytes(32));
    const stored = await encryptField(key, "홍길동", "users.name:42");
    expect(stored).not.toContain("홍길동");
    expect(await decryptField(key, stored, "users.name:42")).toBe("홍길동");
    expect(await decryptField(key, stored, "users.name:43")).toBeNull();
    expect(await decryptField(await aesKey(randomBytes(32)), stored, "users.name:42")).toBeNull();
    expect(await decryptField(key, "not-base64!", "users.name:42")).toBeNull();
  });
});
