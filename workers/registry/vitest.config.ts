import { generateKeyRing, publishedJwks } from "../../shared/src/index.js";
import { workerProject } from "../../tests/worker-project.js";

// Test issuers: naver and pass publish keys, kakao is down.
const naver = publishedJwks(await generateKeyRing("sig"));
const pass = publishedJwks(await generateKeyRing("sig"));

export default workerProject({
  name: "registry",
  env: "registry",
  migrations: "workers/registry/migrations",
  bindings: {
    TRUSTED_ISSUERS: JSON.stringify(
      ["naver", "pass", "kakao"].map((id) => ({ id, url: `https://${id}.issuer.test/.well-known/jwks.json` })),
    ),
  },
  outbound: (request) => {
    const host = new URL(request.url).hostname;
    if (host === "naver.issuer.test") return Response.json(naver);
    if (host === "pass.issuer.test") return Response.json(pass);
    return new Response("issuer down", { status: 503 });
  },
});
