import { workerProject } from "../../tests/worker-project.js";

export default workerProject({ name: "scanner-ui", env: "scanner-ui" });
