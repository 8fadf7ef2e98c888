// The cron deletes what has expired from the directory, and nothing else:
// sessions after 12 hours, unused phone proofs (each an encrypted phone
// number) after 30 minutes, SMS codes once out of the hourly cap's window.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { HOUR, MINUTE } from "@kipass/shared";
import { EXPIRY_CHUNK } from "../src/directory/expiry.js";
import { activeFacility, call, json, mintQr, phoneProof, randomPhone, runCron, scan } from "./helpers.js";

const rows = async () => {
  const [sessions, codes, proofs] = await Promise.all(
    ["sessions", "phone_codes", "phone_proofs"].map(async (t) => (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${t}`).first<{ n: number }>())?.n ?? 0),
  );
  return { sessions, codes, proofs };
};

describe("expiry", () => {
  it("deletes sessions, codes and phone proofs once they have expired, and keeps the live ones", async () => {
    const start = Date.now();
    const f = await activeFacility(); // spends a proof, opens a session
    await phoneProof(randomPhone()); // a proof never used
    await json(await call("POST", "/v1/phone/code", { phone: randomPhone() }), 200); // a code never entered
    const before = await rows();
    expect(before).toEqual({ sessions: 1, codes: 3, proofs: 1 }); // two codes used, kept for the hourly cap; one never entered

    await runCron(start + MINUTE);
    expect(await rows()).toEqual(before);
    await json(await scan(f.session, (await mintQr()).qr), 200);

    await runCron(start + 10 * MINUTE); // the code has expired, but the hourly cap still counts it
    expect(await rows()).toEqual(before);
    await runCron(start + HOUR + MINUTE); // the code is out of the cap's hour, the proof has expired
    expect(await rows()).toEqual({ sessions: 1, codes: 0, proofs: 0 });
    await json(await call("GET", "/v1/sessions", undefined, f.session), 200);
    await runCron(start + 13 * HOUR); // the session has expired
    expect(await rows()).toEqual({ sessions: 0, codes: 0, proofs: 0 });
  });

  it("catches up with a backlog in one run: more than one chunk a table", async () => {
    const f = await activeFacility();
    const account = (await env.DB.prepare("SELECT id FROM accounts WHERE login_id = ?").bind(f.loginId).first<{ id: string }>())!.id;
    const backlog = EXPIRY_CHUNK * 2 + 500;
    const now = Date.now();
    const insert = env.DB.prepare("INSERT INTO sessions (hash, id, account_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)");
    for (let from = 0; from < backlog; from += 500) {
      await env.DB.batch(Array.from({ length: 500 }, (_, i) => insert.bind(`expired-${from + i}`, `ses_expired${from + i}`, account, now - 13 * HOUR, now - HOUR)));
    }
    expect((await rows()).sessions).toBe(backlog + 1);
    await runCron(now + MINUTE);
    expect((await rows()).sessions).toBe(1); // the live one
    await json(await call("GET", "/v1/sessions", undefined, f.session), 200);
  });
});
