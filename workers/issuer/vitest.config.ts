import { workerProject } from "../../tests/worker-project.js";

export default workerProject({ name: "issuer", env: "naver", migrations: "workers/issuer/migrations" });
