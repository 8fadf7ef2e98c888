import { defineProject } from "vitest/config";

// The protocol package is pure TypeScript + WebCrypto: plain Node is enough.
export default defineProject({
  test: { name: "shared", include: ["test/**/*.test.ts"], environment: "node" },
});
