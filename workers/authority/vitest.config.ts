import { workerProject } from "../../tests/worker-project.js";

export default workerProject({ name: "authority", env: "authority" });
