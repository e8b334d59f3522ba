// Builds the tracker (web/src/tracker) into minified IIFE scripts, one per module, and fails when one
// is over its gzip -9 budget. The output goes to web/build/tracker/js/, which the dashboard build
// (vite.config.ts: publicDir) copies to appliance/static/js/ after it has emptied appliance/static:
// the tracker is built first, so a tracker over budget stops `npm run build` before anything is written
// into the Python package.
import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "vite";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
export const OUT = join(web, "build", "tracker", "js");

// Bytes after minification and gzip -9. The core budget is the product's promise (about a kilobyte).
const MODULES = [
  { entry: "src/tracker/analytics.ts", file: "analytics.js", budget: 1000 },
  { entry: "src/tracker/extras.ts", file: "analytics-extras.js", budget: 600 },
];

rmSync(OUT, { recursive: true, force: true });
let over = false;
for (const { entry, file, budget } of MODULES) {
  await build({
    configFile: false,
    root: web,
    logLevel: "warn",
    publicDir: false,
    build: {
      outDir: OUT,
      emptyOutDir: false,
      target: "es2020",
      minify: "oxc",
      sourcemap: false,
      lib: { entry: join(web, entry), formats: ["iife"], name: "almanacTracker", fileName: () => file },
    },
  });
  const code = readFileSync(join(OUT, file));
  const gzipped = gzipSync(code, { level: 9 }).length;
  const verdict = gzipped <= budget ? "ok" : "OVER BUDGET";
  console.log(`tracker: ${file} ${code.length} B minified, ${gzipped} B gzip -9 (budget ${budget} B) ${verdict}`);
  over ||= gzipped > budget;
}
if (over) {
  console.error("tracker: over budget; make it smaller before raising a budget");
  process.exit(1);
}
