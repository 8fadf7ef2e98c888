import { defineConfig } from "vitest/config";

// npm test: the protocol package in Node, each worker inside workerd, then
// the whole stack over real HTTP (separate wrangler dev processes).
export default defineConfig({
  test: {
    projects: ["shared", "workers/issuer", "workers/registry", "workers/authority", "workers/scanner-ui", "tests/stack"],
  },
});
