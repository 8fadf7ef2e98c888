import { randomBytes } from "node:crypto";
import { generateKeyRing, publishedJwks, rotateKeyRing } from "../../shared/src/index.js";
import { workerProject } from "../../tests/worker-project.js";

// Test issuers: naver publishes its ring; pass has rotated twice since the
// ring the tests hold (so that ring's first key is rotated out); kakao is down.
const naver = await generateKeyRing("sig");
const passBefore = await generateKeyRing("sig");
const passNow = await rotateKeyRing(await rotateKeyRing(passBefore));
const secret = () => randomBytes(32).toString("base64url");

export default workerProject({
  name: "registry",
  env: "registry",
  migrations: "workers/registry/migrations",
  bindings: {
    TRUSTED_ISSUERS: JSON.stringify(
      ["naver", "pass", "kakao"].map((id) => ({ id, url: `https://${id}.issuer.test/.well-known/jwks.json` })),
    ),
    FIELD_KEY: secret(),
    LOOKUP_KEY: secret(),
    ADMIN_TOKEN: secret(),
    OPERATOR_TOKEN: secret(),
    DEV_MODE: "true",
    TEST_ISSUER_KEYS: JSON.stringify({ naver, passBefore, passNow }),
  },
  outbound: (request) => {
    const host = new URL(request.url).hostname;
    if (host === "naver.issuer.test") return Response.json(publishedJwks(naver));
    if (host === "pass.issuer.test") return Response.json(publishedJwks(passNow));
    return new Response("issuer down", { status: 503 });
  },
});
