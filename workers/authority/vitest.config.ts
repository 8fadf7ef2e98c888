import { workerProject } from "../../tests/worker-project.js";
import { fakeWorld } from "./test/fake-parties.js";

// Fake issuers and registry answer the authority's signed requests (the
// stack test checks the real parties over HTTP).
const world = await fakeWorld();

export default workerProject({
  name: "authority",
  env: "authority",
  migrations: "workers/authority/migrations",
  authorityKeys: world.authority,
  bindings: {
    BOOTSTRAP_TOKEN: "test-bootstrap-token-0123456789",
    DATA_KEY: "ptGccV4f8060AkKT0tlRttnzzCspFSYtRYmKlVeyjaI",
    OPERATOR_TOKEN: "test-operator-token-0123456789",
    DEV_MODE: "true", // as on the local stack: the dev clock header lets the shutdown test skip the mode-cache wait
    PARTIES: JSON.stringify(["naver", "kakao", "registry"].map((id) => ({ id, kind: id === "registry" ? "registry" : "issuer", url: `https://${id}.party.test` }))),
  },
  outbound: world.handle,
});
