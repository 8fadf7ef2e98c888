import { randomBytes } from "node:crypto";
import { workerProject } from "../../tests/worker-project.js";

// Fresh field-encryption and look-up keys per run; DEV_MODE so tests read codes from the SMS outbox.
const secret = () => randomBytes(32).toString("base64url");

export default workerProject({
  name: "issuer",
  env: "naver",
  migrations: "workers/issuer/migrations",
  bindings: { FIELD_KEY: secret(), LOOKUP_KEY: secret(), OPERATOR_TOKEN: secret(), DEV_MODE: "true" },
});
