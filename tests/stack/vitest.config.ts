import { defineProject } from "vitest/config";

// The parties together over real HTTP: `npm start` as a user runs it.
export default defineProject({
  test: {
    name: "stack",
    include: ["**/*.test.ts"],
    setupFiles: ["./setup.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
