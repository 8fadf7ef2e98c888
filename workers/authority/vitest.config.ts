import { generateKeyRing, publishedJwks } from "../../shared/src/index.js";
import { workerProject } from "../../tests/worker-project.js";

// Test parties without a network: naver refuses every request, the registry
// answers with something that is not a sealed answer. (The stack test checks
// real parties over HTTP.)
const registryJwks = publishedJwks(await generateKeyRing("sig"));

export default workerProject({
  name: "authority",
  env: "authority",
  migrations: "workers/authority/migrations",
  bindings: {
    BOOTSTRAP_TOKEN: "test-bootstrap-token-0123456789",
    PARTIES: JSON.stringify([
      { id: "naver", kind: "issuer", url: "https://naver.party.test" },
      { id: "registry", kind: "registry", url: "https://registry.party.test" },
    ]),
  },
  outbound: (request) => {
    const url = new URL(request.url);
    if (url.hostname === "naver.party.test") {
      return Response.json({ error: { code: "bad_signature", message: "no pinned authority key" } }, { status: 401 });
    }
    if (url.pathname === "/.well-known/jwks.json") return Response.json(registryJwks);
    return Response.json({ answer: "not.a.sealed.answer.really" });
  },
});
