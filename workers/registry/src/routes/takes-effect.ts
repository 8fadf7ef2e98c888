/**
 * How a route answers a change the directory has committed but whose call to
 * the facility's object failed (directory/objects.ts applyToFacility): the
 * change stands, and scanners follow within a minute, when the cron applies it.
 */
import { z } from "@hono/zod-openapi";

export const takesEffectSchema = z
  .enum(["now", "within_a_minute"])
  .openapi({ description: "When scanners follow the change: now, or within a minute (the registry's cron applies it)" });

export const LATER_MESSAGE = "기록되었습니다. 스캐너에는 1분 안에 반영됩니다 / Recorded: scanners follow within a minute";

/** The 202 a 204 route answers when scanners follow only within a minute. */
export const appliedLater = {
  202: {
    description: "Recorded; scanners follow within a minute",
    content: { "application/json": { schema: z.object({ takesEffect: z.literal("within_a_minute"), message: z.string() }) } },
  },
} as const;
