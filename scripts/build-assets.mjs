// Builds the design system and the site's own assets into static/dist (not committed).
import { build } from "esbuild";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const nhsuk = join(root, "node_modules", "nhsuk-frontend", "dist", "nhsuk");
const out = join(root, "static", "dist");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// The design system's CSS and images, then the site's CSS on top.
// Its CSS points at /assets/ on the site root; ours are served beside the CSS file instead.
const css = readFileSync(join(nhsuk, "nhsuk-frontend.min.css"), "utf8");
// Its source map is not shipped, so drop the comment that points at it.
writeFileSync(
  join(out, "nhsuk-frontend.min.css"),
  css.replaceAll("url(/assets/", "url(assets/").replace(/\/\*# sourceMappingURL=[^*]*\*\//g, ""),
);
cpSync(join(nhsuk, "assets"), join(out, "assets"), { recursive: true });

await build({
  entryPoints: [join(root, "static", "src", "app.mjs")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2019"],
  outfile: join(out, "app.js"),
  logLevel: "warning",
});
await build({
  entryPoints: [join(root, "static", "src", "site.css")],
  bundle: true,
  minify: true,
  outfile: join(out, "site.css"),
  logLevel: "warning",
});
console.log(`Front-end assets built into ${out}`);
