// Prints the dashboard's size as a browser fetches it to show the main view (the entry script, the
// chunks it imports statically, and its styles) gzipped, and fails the build when the JavaScript is
// over budget. Lazily loaded chunks are listed apart: they are not on the first view's path.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const BUDGET = 150 * 1024; // bytes of JavaScript, gzipped, for the main view
const STATIC = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "appliance", "static");

const html = readFileSync(join(STATIC, "index.html"), "utf8");
const referenced = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]);
const gz = (file) => gzipSync(readFileSync(join(STATIC, file)), { level: 9 }).length;
const raw = (file) => readFileSync(join(STATIC, file)).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

let js = 0;
let css = 0;
for (const file of referenced) {
  const size = gz(file);
  if (file.endsWith(".js")) js += size;
  if (file.endsWith(".css")) css += size;
  console.log(`dashboard: ${file} ${kb(raw(file))}, ${kb(size)} gzipped`);
}
for (const file of readdirSync(join(STATIC, "assets")).map((f) => `assets/${f}`)) {
  if (!referenced.includes(file) && file.endsWith(".js")) {
    console.log(`dashboard: ${file} (loaded later) ${kb(raw(file))}, ${kb(gz(file))} gzipped`);
  }
}
const verdict = js <= BUDGET ? "ok" : "OVER BUDGET";
console.log(`dashboard: main view ${kb(js)} JavaScript + ${kb(css)} CSS gzipped (budget ${kb(BUDGET)} JavaScript) ${verdict}`);
if (js > BUDGET) {
  console.error("dashboard: the main view's JavaScript is over budget; make it smaller before raising the budget");
  process.exit(1);
}
