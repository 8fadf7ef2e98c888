import fc from "fast-check";
import { CompactEncrypt, CompactSign } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { generateKeyRing, importPartyKey, publishedJwks, rotateKeyRing, type KeyRing, type PartyJwk } from "../src/keys.js";
import { RESPONSE_TYP, REQUEST_TYP, openAnswer, sealAnswer, type AnswerErrorCode, type OpenAnswerOptions } from "../src/signed-request.js";
import { T0, b64urlDecodeLoose, b64urlEncode, utf8 } from "./helpers.js";

const CODES: readonly AnswerErrorCode[] = ["malformed", "undecryptable", "bad_signature", "wrong_answer"];
const REQUEST_ID = "AAECAwQFBgcICQoLDA0ODw";

let authorityEnc: KeyRing;
let issuerSig: KeyRing;
let opts: OpenAnswerOptions;

beforeAll(async () => {
  authorityEnc = await generateKeyRing("enc");
  issuerSig = await generateKeyRing("sig");
  opts = { decryption: authorityEnc, senderJwks: publishedJwks(issuerSig), sender: "naver", requestId: REQUEST_ID };
});

const seal = (data: unknown, over: Partial<Parameters<typeof sealAnswer>[0]> = {}) =>
  sealAnswer({ data, from: "naver", signingKey: issuerSig.current, to: publishedJwks(authorityEnc), requestId: REQUEST_ID, now: T0, ...over });

async function expectCode(result: Promise<{ ok: boolean; code?: string }>, code: AnswerErrorCode) {
  const r = await result;
  expect(r.ok).toBe(false);
  expect(r.code).toBe(code);
}

/** A well-encrypted answer whose inner JWS is whatever a holder of `signer` chooses. */
async function craft(inner: { header?: Record<string, unknown>; payload: unknown; signer?: PartyJwk; recipient?: PartyJwk }): Promise<string> {
  const signer = inner.signer ?? issuerSig.current;
  const jws = await new CompactSign(utf8(JSON.stringify(inner.payload)))
    .setProtectedHeader({ alg: "EdDSA", kid: signer.kid, typ: RESPONSE_TYP, ...inner.header })
    .sign(await importPartyKey(signer, "private"));
  const recipient = inner.recipient ?? authorityEnc.current;
  return new CompactEncrypt(utf8(jws))
    .setProtectedHeader({ alg: "ECDH-ES+A256KW", enc: "A256GCM", kid: recipient.kid, cty: "JWT" })
    .encrypt(await importPartyKey(recipient, "public"));
}

describe("answers: round trip", () => {
  it("openAnswer returns what sealAnswer sealed", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (data) => {
        const jwe = await seal(data);
        const opened = await openAnswer(jwe, opts);
        expect(opened.ok).toBe(true);
        if (opened.ok) expect(opened.data).toEqual(JSON.parse(JSON.stringify(data)) as unknown);
      }),
      { numRuns: 40 },
    );
  });

  it("is a compact JWE (ECDH-ES+A256KW, A256GCM) around a kp-answer+jws signed by the sender", async () => {
    const jwe = await seal({ rows: [] });
    const parts = jwe.split(".");
    expect(parts).toHaveLength(5);
    const header = JSON.parse(new TextDecoder().decode(b64urlDecodeLoose(parts[0]!))) as Record<string, unknown>;
    expect(header).toMatchObject({ alg: "ECDH-ES+A256KW", enc: "A256GCM", kid: authorityEnc.current.kid, cty: "JWT" });
    expect(header.epk).toMatchObject({ kty: "EC", crv: "P-256" });
    expect(parts[1]).not.toBe(""); // wrapped content key
    expect(b64urlDecodeLoose(parts[2]!)).toHaveLength(12); // GCM IV
    expect(b64urlDecodeLoose(parts[4]!)).toHaveLength(16); // GCM tag
  });

  it("is encrypted: no decoding of the JWE shows the personal data", async () => {
    const phone = "010-9876-5432";
    const name = "홍길동";
    const jwe = await seal({ rows: [{ name, phone, phoneDigits: phone.replace(/-/g, "") }] });
    const needles = [phone, "01098765432", name, "naver", REQUEST_ID];
    const views = [jwe, ...jwe.split(".").flatMap((part) => {
      const raw = b64urlDecodeLoose(part);
      return [new TextDecoder().decode(raw), String.fromCharCode(...raw)];
    })];
    for (const view of views) for (const needle of needles) expect(view).not.toContain(needle);
    // Nor is the inner JWS (whose payload would be base64url of the JSON) visible at any alignment.
    const json = JSON.stringify({ name, phone });
    for (let shift = 0; shift < 3; shift++) {
      const probe = b64urlEncode(utf8("x".repeat(shift) + json)).slice(4 + shift, 24);
      expect(jwe).not.toContain(probe);
      expect(jwe).not.toContain(b64urlEncode(utf8(phone.slice(shift))).slice(0, 12));
    }
  });

  it("is decryptable with the authority's next key too (published ahead of use)", async () => {
    const jwe = await seal("early", { to: { keys: [authorityEnc.next] } });
    expect(await openAnswer(jwe, opts)).toEqual({ ok: true, data: "early" });
  });
});

describe("answers: refusals", () => {
  it("wrong request id or wrong sender → wrong_answer", async () => {
    const jwe = await seal({ x: 1 });
    await expectCode(openAnswer(jwe, { ...opts, requestId: "BBECAwQFBgcICQoLDA0ODw" }), "wrong_answer");
    await expectCode(openAnswer(jwe, { ...opts, sender: "kakao" }), "wrong_answer");
    // The sender check is on the signed `iss`, even when the signing key is in the JWKS.
    await expectCode(openAnswer(await seal({ x: 1 }, { from: "kakao" }), opts), "wrong_answer");
  });

  it("encrypted to another authority key → undecryptable", async () => {
    const other = await generateKeyRing("enc");
    await expectCode(openAnswer(await seal({ x: 1 }, { to: publishedJwks(other) }), opts), "undecryptable");
    // Same kid, different key: decryption itself fails.
    const sameKid = { ...other.current, kid: authorityEnc.current.kid };
    await expectCode(openAnswer(await seal({ x: 1 }, { to: { keys: [sameKid] } }), opts), "undecryptable");
  });

  it("signed by a key not in the sender's JWKS → bad_signature", async () => {
    const stranger = await generateKeyRing("sig");
    await expectCode(openAnswer(await seal({ x: 1 }, { signingKey: stranger.current }), opts), "bad_signature");
    const sameKid = { ...stranger.current, kid: issuerSig.current.kid };
    await expectCode(openAnswer(await seal({ x: 1 }, { signingKey: sameKid }), opts), "bad_signature");
    // A rotated sender key stays valid while it is published as retired.
    const rotated = await rotateKeyRing(issuerSig);
    const old = await seal({ x: 1 });
    expect((await openAnswer(old, { ...opts, senderJwks: publishedJwks(rotated) })).ok).toBe(true);
    await expectCode(openAnswer(old, { ...opts, senderJwks: publishedJwks(await rotateKeyRing(rotated)) }), "bad_signature");
  });

  it("an inner object that is not an answer is refused", async () => {
    const claims = { iss: "naver", req: REQUEST_ID, iat: Math.floor(T0 / 1000), data: 1 };
    expect(await openAnswer(await craft({ payload: claims }), opts)).toEqual({ ok: true, data: 1 });
    await expectCode(openAnswer(await craft({ header: { typ: REQUEST_TYP }, payload: claims }), opts), "malformed");
    await expectCode(openAnswer(await craft({ payload: { ...claims, extra: true } }), opts), "malformed");
    await expectCode(openAnswer(await craft({ payload: { iss: "naver", req: REQUEST_ID, data: 1 } }), opts), "malformed");
    await expectCode(openAnswer(await craft({ payload: [claims] }), opts), "malformed");
  });

  it("garbage → malformed, never a throw", async () => {
    const jwe = await seal({ x: 1 });
    for (const bad of [undefined, null, 42, {}, [], "", "a.b.c", "a.b.c.d.e", "....", jwe + ".x", jwe.split(".").slice(0, 4).join(".")]) {
      await expectCode(openAnswer(bad, opts), "malformed");
    }
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.anything(), fc.string({ unit: "binary" }), fc.array(fc.base64String(), { minLength: 5, maxLength: 5 }).map((p) => p.join("."))),
        async (input) => {
          const r = await openAnswer(input, opts);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(CODES).toContain(r.code);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses a changed character (a part's base64url leftover bits aside: they carry no data)", async () => {
    const jwe = await seal({ phone: "010-0000-0000" });
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: jwe.length - 1 }), fc.constantFrom(...alphabet), async (i, c) => {
        fc.pre(jwe[i] !== c && jwe[i] !== ".");
        const r = await openAnswer(jwe.slice(0, i) + c + jwe.slice(i + 1), opts);
        if (r.ok) {
          // Only a change in the leftover bits of a part's last character can decode to the same bytes.
          const partEnd = jwe.indexOf(".", i) === -1 ? jwe.length - 1 : jwe.indexOf(".", i) - 1;
          expect(i).toBe(partEnd);
        }
      }),
      { numRuns: 150 },
    );
  });
});
