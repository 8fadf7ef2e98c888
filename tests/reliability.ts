/**
 * Figures for docs/reliability.md, recorded by the tests that produce them.
 * A test calls `recordFigure(task, …)` with a count it measured itself; the
 * figures travel to the reporter in the task's meta (works in Node and in
 * workerd), and the reliability reporter writes the table from them — never
 * by hand.
 */
import type { TaskMeta } from "vitest";

export type ReliabilityArea = "load held" | "faults survived" | "bad inputs tried" | "records lost";

export interface ReliabilityFigure {
  area: ReliabilityArea;
  /** What was counted, e.g. "POST /v1/scan: malformed bodies, headers, tokens" */
  what: string;
  count: number;
}

declare module "vitest" {
  interface TaskMeta {
    reliability?: ReliabilityFigure[];
  }
}

export function recordFigure(task: { meta: TaskMeta }, figure: ReliabilityFigure): void {
  (task.meta.reliability ??= []).push(figure);
}
