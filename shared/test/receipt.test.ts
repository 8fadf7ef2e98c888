// R-O4: a destruction receipt verifies against the signer's published JWKS
// only while the readable receipt is exactly what was signed.
import { describe, expect, it } from "vitest";
import { generateKeyRing, publishedJwks, rotateKeyRing, signReceipt, verifyReceipt, type DestructionReceipt } from "../src/index.js";

const receipt: DestructionReceipt = {
  type: "kipass-destruction-receipt",
  party: "registry",
  partyName: "사회보장정보원 Registry",
  startedAt: Date.UTC(2022, 1, 19, 0, 0),
  completedAt: Date.UTC(2022, 1, 19, 0, 5),
  destroyed: { "facility.visits": 1200, "token_ledger.claims": 1200, "day_key_vault.day_keys": 2 },
  keyIds: ["vault-0/2022-02-18", "vault-3/2022-02-19"],
};

describe("destruction receipts", () => {
  it("verifies against the party's JWKS, also after a rotation and with its keys in another order", async () => {
    const ring = await generateKeyRing("sig");
    const file = await signReceipt(receipt, ring.current);
    expect(await verifyReceipt(file, publishedJwks(ring))).toEqual({ ok: true, receipt });
    expect(await verifyReceipt(file, publishedJwks(await rotateKeyRing(ring)))).toMatchObject({ ok: true });
    const { keyIds, destroyed, ...rest } = receipt;
    const reordered = { jws: file.jws, receipt: { keyIds, destroyed, ...rest } };
    expect(await verifyReceipt(JSON.parse(JSON.stringify(reordered)), publishedJwks(ring))).toMatchObject({ ok: true });
  });

  it("fails with one changed count, a dropped key id, another party's keys or a forged signature", async () => {
    const ring = await generateKeyRing("sig");
    const jwks = publishedJwks(ring);
    const file = await signReceipt(receipt, ring.current);
    const changed = structuredClone(file);
    changed.receipt.destroyed["facility.visits"] = 1199;
    expect(await verifyReceipt(changed, jwks)).toEqual({ ok: false, reason: "receipt differs from what the party signed" });
    const dropped = structuredClone(file);
    dropped.receipt.keyIds.pop();
    expect(await verifyReceipt(dropped, jwks)).toMatchObject({ ok: false });
    expect(await verifyReceipt(file, publishedJwks(await generateKeyRing("sig")))).toMatchObject({ ok: false, reason: expect.stringMatching(/does not publish/) });

    // A receipt re-signed by someone else under the party's key id does not verify.
    const other = await generateKeyRing("sig");
    const forged = await signReceipt({ ...receipt, destroyed: { ...receipt.destroyed, "facility.visits": 1 } }, { ...other.current, kid: ring.current.kid });
    expect(await verifyReceipt(forged, jwks)).toEqual({ ok: false, reason: "signature does not verify" });
    expect(await verifyReceipt({ receipt }, jwks)).toMatchObject({ ok: false });
  });
});
