/**
 * Vitest reporter that writes docs/reliability.md from the figures the tests
 * recorded with `recordFigure` (tests/reliability.ts) — counts measured by
 * the run itself, never typed by hand. The figures arrive in each test's
 * meta, from Node and from workerd alike. Used by `npm run reliability`;
 * writes nothing when a test failed, so a failed run never refreshes the doc.
 */
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { relative } from "node:path";
import type { Reporter, TestModule } from "vitest/node";
import type { ReliabilityFigure } from "./reliability.js";

const root = new URL("..", import.meta.url).pathname;
const AREAS = ["load held", "faults survived", "records lost", "bad inputs tried"];

interface Row extends ReliabilityFigure {
  file: string;
  test: string;
}

export function reliabilityRows(modules: ReadonlyArray<TestModule>): Row[] {
  const rows: Row[] = [];
  for (const module of modules) {
    const file = relative(root, module.moduleId);
    for (const test of module.children.allTests()) {
      for (const figure of test.meta().reliability ?? []) rows.push({ ...figure, file, test: test.fullName });
    }
  }
  const order = (r: Row) => (AREAS.includes(r.area) ? AREAS.indexOf(r.area) : AREAS.length);
  return rows.sort((a, b) => order(a) - order(b) || a.file.localeCompare(b.file));
}

const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

export function reliabilityMarkdown(rows: Row[], run: { date: string; command: string }): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  const lines = [
    "# Reliability, in numbers",
    "",
    "Written by the test run from its own counts (`tests/reliability-reporter.ts` collects what each",
    "test recorded with `recordFigure` from `tests/reliability.ts`). Do not edit by hand: refresh with",
    "",
    "```sh",
    run.command,
    "```",
    "",
    `- date: ${run.date}`,
    `- machine: ${availableParallelism()} cores (${cpu}), Node ${process.version}, ${process.platform}/${process.arch}`,
    "- \"records lost\" is measured by each test after its run: records expected minus records found (must be 0).",
    "",
    "| area | what | count | test file |",
    "|---|---|---:|---|",
    ...rows.map((r) => `| ${r.area} | ${cell(r.what)} | ${r.count.toLocaleString("en-US")} | [\`${r.file}\`](../${r.file}) |`),
    "",
  ];
  return lines.join("\n");
}

export default class ReliabilityReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const failed = modules.some((m) => !m.ok());
    const rows = reliabilityRows(modules);
    if (failed) {
      process.stderr.write("reliability: a test failed — docs/reliability.md not written\n");
      return;
    }
    if (rows.length === 0) {
      process.stderr.write("reliability: no figures recorded — docs/reliability.md not written\n");
      return;
    }
    const command = process.env.npm_lifecycle_event ? `npm run ${process.env.npm_lifecycle_event}` : `vitest ${process.argv.slice(2).join(" ")}`;
    writeFileSync(`${root}docs/reliability.md`, reliabilityMarkdown(rows, { date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC", command }));
    process.stderr.write(`reliability: docs/reliability.md written (${rows.length} figures)\n`);
  }
}
