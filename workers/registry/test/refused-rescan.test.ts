// A scan the facility refuses stores nothing (architecture.md: every step) —
// also when a scanner that reads continuously sends the same QR twice at once:
// neither refused scan may leave the claim that refuses the visitor elsewhere.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { lookupHash } from "../src/config.js";
import { ledgerShard } from "../src/durable/shards.js";
import { activeFacility, errorCode, hourly, json, login, mintQr, registerFacility, scan } from "./helpers.js";

const claimOf = async (jti: string) => {
  const tokenHash = await lookupHash(env, "token", jti);
  return env.TOKEN_LEDGER.getByName(ledgerShard(tokenHash)).whereClaimed([tokenHash], Date.now());
};

describe("refused scans of one QR at once", () => {
  it("two refused scans of the same QR leave it usable at another facility", async () => {
    const open = await activeFacility();
    const unapproved = await registerFacility({ businessNumber: "none" });
    const pending = await login(unapproved.loginId, unapproved.password);
    for (let i = 0; i < 10; i++) {
      const { qr, jti } = await mintQr();
      const refused = await Promise.all([scan(pending, qr), scan(pending, qr)]);
      for (const res of refused) expect(await errorCode(res)).toEqual({ status: 403, code: "facility_pending" });
      expect(await claimOf(jti)).toEqual([]);
      expect(await json(await scan(open.session, qr), 200)).toMatchObject({ ok: true, repeat: false });
    }
    expect((await hourly(open.session)).total).toBe(10);
  });

  it("a made-up session for a real facility claims nothing that outlives its refusal", async () => {
    const open = await activeFacility();
    const target = await activeFacility();
    // The shape scannerSession accepts, for a real facility id, but no login behind it.
    const forged = `${target.facilityId}.${"B".repeat(43)}`;
    for (let i = 0; i < 10; i++) {
      const { qr, jti } = await mintQr();
      const refused = await Promise.all([scan(forged, qr), scan(forged, qr), scan(forged, qr)]);
      for (const res of refused) expect((await errorCode(res)).status).toBe(401);
      expect(await claimOf(jti)).toEqual([]);
      expect(await json(await scan(open.session, qr), 200)).toMatchObject({ ok: true, repeat: false });
    }
    expect((await hourly(target.session)).total).toBe(0);
  });

  it("in the ledger: the claim goes when the first scan and every re-scan were refused, never while an accepted one relies on it", async () => {
    const here = await activeFacility();
    const elsewhere = await activeFacility();
    const now = Date.now();
    const ledgerFor = (tokenHash: string) => {
      const ledger = env.TOKEN_LEDGER.getByName(ledgerShard(tokenHash));
      return {
        claim: (facilityId: string) => ledger.claimToken({ shard: ledgerShard(tokenHash), tokenHash, facilityId, now }),
        release: (first: boolean) => ledger.releaseClaim({ tokenHash, facilityId: here.facilityId, first, now }),
      };
    };

    // First refused, then its re-scan refused (or the other order): the last refusal releases.
    for (const order of [[true, false], [false, true]] as const) {
      const t = ledgerFor(`both-refused-${String(order[0])}`);
      expect(await t.claim(here.facilityId)).toEqual({ ok: true, first: true });
      expect(await t.claim(here.facilityId)).toEqual({ ok: true, first: false });
      expect(await t.release(order[0])).toBe(false);
      expect(await t.release(order[1])).toBe(true);
      expect(await t.claim(elsewhere.facilityId)).toEqual({ ok: true, first: true });
    }

    // First accepted (nothing released), a re-scan refused: the claim stays with the recorded visit.
    const accepted = ledgerFor("first-accepted");
    await accepted.claim(here.facilityId);
    await accepted.claim(here.facilityId);
    expect(await accepted.release(false)).toBe(false);
    expect(await accepted.claim(elsewhere.facilityId)).toEqual({ ok: false, code: "token_used" });

    // First refused, one re-scan accepted and one refused: the accepted one keeps it.
    const mixed = ledgerFor("rescan-accepted");
    await mixed.claim(here.facilityId);
    await mixed.claim(here.facilityId);
    await mixed.claim(here.facilityId);
    expect(await mixed.release(true)).toBe(false);
    expect(await mixed.release(false)).toBe(false);
    expect(await mixed.claim(elsewhere.facilityId)).toEqual({ ok: false, code: "token_used" });
  });
});
