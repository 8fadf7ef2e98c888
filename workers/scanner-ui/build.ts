/**
 * Builds the scanner UI into dist/ (served as Workers static assets):
 * app/*.ts bundled by esbuild, the HTML and CSS copied, and the Korean font
 * (Noto Sans KR 400/700, woff2 subsets) bundled — nothing loads from a CDN.
 * wrangler runs it before `dev` and `deploy` ([env.scanner-ui.build]).
 */
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const here = dirname(new URL(import.meta.url).pathname);
const dist = join(here, "dist");
const require = createRequire(import.meta.url);

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "fonts"), { recursive: true });

await build({
  entryPoints: [join(here, "app/main.ts")],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  outfile: join(dist, "app.js"),
  logLevel: "warning",
});

for (const file of ["index.html", "styles.css", "manifest.webmanifest", "icon.svg", "verified-ko.wav"]) copyFileSync(join(here, "app", file), join(dist, file));

// The font: keep the woff2 sources only, rewritten to our own fonts/ folder.
const fontDir = dirname(require.resolve("@fontsource/noto-sans-kr/400.css"));
let css = "";
for (const weight of [400, 700]) {
  const source = readFileSync(join(fontDir, `${weight}.css`), "utf8");
  css += source.replace(/src: url\(\.\/files\/([^)]+\.woff2)\) format\('woff2'\), url\([^)]+\) format\('woff'\);/g, (_m, file: string) => {
    copyFileSync(join(fontDir, "files", file), join(dist, "fonts", file));
    return `src: url(./fonts/${file}) format('woff2');`;
  });
}
if (css.includes("files/")) throw new Error("font CSS still points outside dist/");
writeFileSync(join(dist, "fonts.css"), css);
console.log(`scanner UI built into ${dist}`);
