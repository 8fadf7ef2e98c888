// R-U2, R-U3: the first-time flow (consent, SMS code, device credential),
// re-use of the credential, revocation, and the guardian rule for under-14s.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { DEV_NOW_HEADER, MINUTE } from "@kipass/shared";
import { phoneHash } from "../src/identity/verification.js";
import { holdingReads } from "./d1-wrappers.js";
import { CONSENT, call, enrol, freshPhone, mint, post, verify } from "./wallet-client.js";

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe("first-time flow", () => {
  it("shows both consent texts, verifies the phone by SMS and gives the device a credential that mints tokens", async () => {
    const config = (await (await call("/api/v1/wallet/config")).json()) as { consent: { version: string; texts: { purpose: string }[] }; autoRegenerations: number };
    expect(config.consent.texts.map((t) => t.purpose)).toEqual(["collection_use", "third_party"]);
    expect(config.autoRegenerations).toBe(2); // Naver (R-U4)

    const phone = freshPhone();
    const device = await enrol({ phone });
    expect(device.guardianRequired).toBe(false);
    const res = await mint(device.credential);
    expect(res.status).toBe(201);
    const token = (await res.json()) as { qr: string; expiresAt: number; svg: string };
    expect(token.qr).toMatch(/^KP1:/);
    expect(token.svg).toContain("<svg");

    const consents = await env.DB.prepare("SELECT given_by, purpose, text_version FROM consent_records ORDER BY id DESC LIMIT 2").all();
    expect(consents.results).toEqual(
      expect.arrayContaining([
        { given_by: "self", purpose: "collection_use", text_version: CONSENT.version },
        { given_by: "self", purpose: "third_party", text_version: CONSENT.version },
      ]),
    );
  });

  it("re-uses the device credential later without a new verification", async () => {
    const device = await enrol();
    const sent = await env.DB.prepare("SELECT COUNT(*) AS n FROM dev_outbox").first<{ n: number }>();
    expect((await mint(device.credential)).status).toBe(201);
    await new Promise((r) => setTimeout(r, 2_100)); // rate limit: 2 s between tokens
    expect((await mint(device.credential)).status).toBe(201);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM dev_outbox").first<{ n: number }>()).toEqual(sent);
  });

  it("refuses enrolment without both consents, and stores nothing", async () => {
    const phone = freshPhone();
    const v = await verify(phone);
    const users = await env.DB.prepare("SELECT COUNT(*) AS n FROM users").first();
    for (const consent of [{ ...CONSENT, thirdParty: false }, { ...CONSENT, collectionUse: false }, { ...CONSENT, version: "old" }, undefined]) {
      const res = await post("/api/v1/enrolments", { ...v, phone, name: "홍길동", birthDate: "1990-01-01", consent });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe("invalid_request");
    }
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM users").first()).toEqual(users);
  });

  it("refuses a wrong code, counts every try, and dies after 5", async () => {
    const phone = freshPhone();
    const v = await verify(phone);
    const wrong = v.code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) {
      const res = await post("/api/v1/enrolments", { ...v, code: wrong, phone, name: "김", birthDate: "1990-01-01", consent: CONSENT });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe("wrong_code");
    }
    const res = await post("/api/v1/enrolments", { ...v, phone, name: "김", birthDate: "1990-01-01", consent: CONSENT });
    expect(res.status).toBe(429);
    expect(await errorCode(res)).toBe("too_many_attempts");
  });

  it("refuses a code for another phone and a code used twice", async () => {
    const phone = freshPhone();
    const v = await verify(phone);
    const other = await post("/api/v1/enrolments", { ...v, phone: freshPhone(), name: "김", birthDate: "1990-01-01", consent: CONSENT });
    expect(other.status).toBe(404);
    expect((await post("/api/v1/enrolments", { ...v, phone, name: "김", birthDate: "1990-01-01", consent: CONSENT })).status).toBe(201);
    const again = await post("/api/v1/enrolments", { ...v, phone, name: "김", birthDate: "1990-01-01", consent: CONSENT });
    expect(again.status).toBe(410);
  });

  it("sends one code for 300 requests for one phone at once", async () => {
    const phone = freshPhone();
    const answers = await Promise.all(Array.from({ length: 300 }, () => post("/api/v1/verifications", { phone })));
    expect(answers.map((r) => r.status).sort()).toEqual([201, ...Array<number>(299).fill(429)]);
    const outbox = (await (await call(`/dev/outbox?phone=${phone}`)).json()) as { messages: unknown[] };
    expect(outbox.messages).toHaveLength(1);
  });

  it("keeps about an hour of SMS codes: a new code deletes those older than the hourly cap looks at", async () => {
    const now = Date.now();
    const insert = env.DB.prepare("INSERT INTO phone_verifications (id, phone_hash, code_hash, created_at, expires_at) VALUES (?, ?, 'x', ?, ?)");
    await env.DB.batch([insert.bind("stale-code", "stale-phone", now - 2 * 60 * MINUTE, now - 117 * MINUTE), insert.bind("recent-code", "recent-phone", now - 10 * MINUTE, now - 7 * MINUTE)]);
    await verify(freshPhone());
    const { results } = await env.DB.prepare("SELECT id FROM phone_verifications WHERE id IN ('stale-code', 'recent-code')").all<{ id: string }>();
    expect(results.map((r) => r.id)).toEqual(["recent-code"]);
  });

  it("throttles new codes for one phone (30 s)", async () => {
    const phone = freshPhone();
    await verify(phone);
    const res = await post("/api/v1/verifications", { phone });
    expect(res.status).toBe(429);
    expect(await errorCode(res)).toBe("resend_too_soon");
  });

  it.each([
    ["not a mobile number", { phone: "02-123-4567" }],
    ["an extra field", { phone: "010-1234-5678", facility: "x" }],
    ["no phone", {}],
  ])("refuses a verification request with %s", async (_name, body) => {
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM phone_verifications").first();
    const res = await post("/api/v1/verifications", body);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("invalid_request");
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM phone_verifications").first()).toEqual(before);
  });
});

describe("first enrolment of one phone from two devices at once", () => {
  it("gives both devices a credential of the same, single user", async () => {
    const phone = freshPhone();
    // Two codes for the phone, 60 s apart (the 30 s resend wait), both still valid.
    const codeAt = async (now?: number) => {
      const res = await call("/api/v1/verifications", {
        method: "POST",
        body: JSON.stringify({ phone }),
        headers: now === undefined ? {} : { [DEV_NOW_HEADER]: String(now) },
      });
      expect(res.status, await res.clone().text()).toBe(201);
      const { verificationId } = (await res.json()) as { verificationId: string };
      const outbox = (await (await call(`/dev/outbox?phone=${phone}`)).json()) as { messages: { text: string }[] };
      return { verificationId, code: /\b(\d{6})\b/.exec(outbox.messages[0]!.text)![1]! };
    };
    const first = await codeAt(Date.now() - MINUTE);
    const second = await codeAt();
    // Both requests look the phone up before either writes (the race, made certain).
    const { app } = await import("../src/index.js");
    const db = holdingReads(env.DB, "SELECT user_ref FROM users WHERE phone_hash = ?", 2);
    const answers = await Promise.all(
      [first, second].map((v) =>
        app.fetch(
          new Request("https://naver.test/api/v1/enrolments", {
            method: "POST",
            body: JSON.stringify({ ...v, phone, name: "동시가입", birthDate: "1990-05-17", consent: CONSENT }),
            headers: { "content-type": "application/json" },
          }),
          { ...env, DB: db },
        ),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual([201, 201]);
    const devices = (await Promise.all(answers.map((r) => r.json()))) as { deviceId: string; credential: string }[];

    const users = await env.DB.prepare("SELECT user_ref FROM users WHERE phone_hash = ?").bind(await phoneHash(env, phone)).all<{ user_ref: string }>();
    expect(users.results).toHaveLength(1);
    const userRef = users.results[0]!.user_ref;
    const owners = await env.DB.prepare("SELECT DISTINCT user_ref FROM devices WHERE id IN (?, ?)").bind(devices[0]!.deviceId, devices[1]!.deviceId).all();
    expect(owners.results).toEqual([{ user_ref: userRef }]);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM consent_records WHERE user_ref = ?").bind(userRef).first()).toEqual({ n: 4 });
    for (const d of devices) expect(d.credential.startsWith(`${userRef}.`)).toBe(true);
    expect((await mint(devices[1]!.credential)).status).toBe(201);
  });
});

describe("device credentials", () => {
  it("refuses a token request without a credential or with a made-up one", async () => {
    const device = await enrol();
    const [userRef, tag, secret] = device.credential.split(".") as [string, string, string];
    const cases: [string, string][] = [
      ["", "no_credential"],
      ["A".repeat(43), "no_credential"],
      [`${userRef}.${tag}.${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`, "revoked_credential"], // another secret
      [`${userRef.slice(0, -1)}${userRef.endsWith("a") ? "b" : "a"}.${tag}.${secret}`, "revoked_credential"], // another user: the tag does not match
    ];
    for (const [credential, code] of cases) {
      const res = await mint(credential);
      expect(res.status).toBe(401);
      expect(await errorCode(res)).toBe(code);
    }
    expect((await mint(device.credential)).status).toBe(201);
  });

  it("revocation takes effect at once", async () => {
    const device = await enrol();
    expect((await mint(device.credential)).status).toBe(201);
    expect((await call("/api/v1/device", { method: "DELETE", credential: device.credential })).status).toBe(200);
    const res = await mint(device.credential);
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe("revoked_credential");
  });

  it("logs out of every device of the user, and only that user", async () => {
    const phone = freshPhone();
    const first = await enrol({ phone });
    await env.DB.prepare("DELETE FROM phone_verifications").run(); // let the same phone get a new code now
    const second = await enrol({ phone });
    const stranger = await enrol();
    const res = await post("/api/v1/devices/revoke-all", {}, second.credential);
    expect(await res.json()).toEqual({ revoked: 2 });
    expect((await mint(first.credential)).status).toBe(401);
    expect((await mint(second.credential)).status).toBe(401);
    expect((await mint(stranger.credential)).status).toBe(201);
  });
});

describe("under 14 (R-U3)", () => {
  const childBirth = () => {
    const d = new Date(Date.now() + 9 * 3600_000);
    return `${d.getUTCFullYear() - 10}-01-15`;
  };

  it("refuses a child's token until a guardian consents with their own phone, then accepts it alone", async () => {
    const child = await enrol({ birthDate: childBirth(), name: "김아이" });
    expect(child.guardianRequired).toBe(true);
    const refused = await mint(child.credential);
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe("guardian_consent_required");

    // The guardian cannot "verify" with the child's own phone.
    const own = await verify(child.phone).catch(() => null);
    if (own) {
      const res = await post("/api/v1/guardian-consents", { ...own, phone: child.phone, name: "김부모", consent: CONSENT }, child.credential);
      expect(res.status).toBe(422);
    }

    const guardianPhone = freshPhone();
    const g = await verify(guardianPhone);
    const consent = await post("/api/v1/guardian-consents", { ...g, phone: guardianPhone, name: "김부모", consent: CONSENT }, child.credential);
    expect(consent.status).toBe(201);
    const rows = await env.DB.prepare("SELECT purpose FROM consent_records WHERE given_by = 'guardian'").all();
    expect(rows.results.map((r) => r.purpose).sort()).toEqual(["collection_use", "third_party"]);

    expect((await mint(child.credential)).status).toBe(201);
    expect(await (await call("/api/v1/device", { credential: child.credential })).json()).toMatchObject({ guardianRequired: false });
  });

  it("does not ask a 14-year-old for a guardian", async () => {
    const d = new Date(Date.now() + 9 * 3600_000);
    const fourteen = `${d.getUTCFullYear() - 15}-01-01`;
    const teen = await enrol({ birthDate: fourteen });
    expect(teen.guardianRequired).toBe(false);
    expect((await mint(teen.credential)).status).toBe(201);
  });

  it("refuses a birth date in the future or not on the calendar", async () => {
    for (const birthDate of ["2999-01-01", "2020-02-30", "1990/01/01"]) {
      const phone = freshPhone();
      const v = await verify(phone);
      const res = await post("/api/v1/enrolments", { ...v, phone, name: "김", birthDate, consent: CONSENT });
      expect(res.status).toBe(400);
    }
  });
});

describe("SMS provider and the dev outbox", () => {
  it("has no outbox endpoint unless DEV_MODE is exactly \"true\"", async () => {
    const { app } = await import("../src/index.js");
    for (const DEV_MODE of ["false", "", "1"]) {
      const res = await app.fetch(new Request("https://naver.test/dev/outbox?phone=010-1234-5678"), { ...env, DEV_MODE });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: "not_found", message: "no route for GET /dev/outbox" } });
    }
  });

  it("uses the HTTP gateway outside dev mode, and refuses clearly when it has no key", async () => {
    const { app } = await import("../src/index.js");
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM dev_outbox").first();
    const res = await app.fetch(
      new Request("https://naver.test/api/v1/verifications", { method: "POST", body: JSON.stringify({ phone: freshPhone() }), headers: { "content-type": "application/json" } }),
      { ...env, DEV_MODE: "false" },
    );
    expect(res.status).toBe(503);
    expect(await errorCode(res)).toBe("sms_unavailable");
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM dev_outbox").first()).toEqual(before);
  });

  it("answers 502 when the gateway refuses or cannot be reached, and a send that failed does not count against the phone", async () => {
    const { app } = await import("../src/index.js");
    const gateway = { ...env, DEV_MODE: "false", SMS_API_KEY: "test-key" };
    const phone = freshPhone();
    const ask = () =>
      app.fetch(
        new Request("https://naver.test/api/v1/verifications", { method: "POST", body: JSON.stringify({ phone }), headers: { "content-type": "application/json" } }),
        gateway,
      );
    let state: "refusing" | "unreachable" | "up" = "refusing";
    const delivered: string[] = [];
    const called: string[] = [];
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      called.push(new Request(input).url);
      if (state === "unreachable") throw new TypeError("Network connection lost.");
      if (state === "refusing") return new Response("busy", { status: 503 });
      delivered.push(String(init?.body));
      return new Response("{}", { status: 200 });
    });
    try {
      const refused = await ask();
      expect(refused.status).toBe(502);
      expect(await refused.json()).toMatchObject({ error: { code: "sms_failed" } });
      // At once, not 30 s later: the refused send left no code behind to wait for.
      state = "unreachable";
      const unreachable = await ask();
      expect(unreachable.status).toBe(502);
      expect(await unreachable.json()).toMatchObject({ error: { code: "sms_failed" } });
      state = "up";
      const sent = await ask();
      expect(sent.status, await sent.clone().text()).toBe(201);
    } finally {
      fetchSpy.mockRestore();
    }
    expect(called).toEqual([env.SMS_GATEWAY_URL, env.SMS_GATEWAY_URL, env.SMS_GATEWAY_URL]);
    expect(delivered).toHaveLength(1);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM phone_verifications WHERE phone_hash = ?").bind(await phoneHash(env, phone)).first();
    expect(rows).toEqual({ n: 1 }); // only the code that reached the phone counts (30 s wait, 5 an hour)
  });
});
