// Copies the bundled country database (DB-IP IP-to-Country Lite, CC BY 4.0) into the Python
// package, beside its licence, so the appliance and the single binary work offline.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "..", "node_modules", "@ip-location-db", "dbip-country-mmdb");
const target = join(here, "..", "..", "appliance", "geodata");
mkdirSync(target, { recursive: true });
copyFileSync(join(source, "dbip-country.mmdb"), join(target, "dbip-country.mmdb"));
copyFileSync(join(source, "DBIP-LICENSE"), join(target, "DBIP-LICENSE"));
console.log("geo: copied dbip-country.mmdb to appliance/geodata");
