// Countries without any downloaded assets: flags are emoji built from the ISO code, names come
// from the browser (Intl.DisplayNames), and the world map is a tile grid laid out here from rough
// centroids (latitude, longitude in whole or half degrees, written for this project).

const names = (() => {
  try {
    return new Intl.DisplayNames(["en"], { type: "region" });
  } catch {
    return null;
  }
})();

const ISO = /^[A-Z]{2}$/;

/** The emoji flag of an ISO 3166-1 alpha-2 code ("US" → 🇺🇸); a white flag for anything else. */
export function flag(code: string | null | undefined): string {
  const upper = (code ?? "").toUpperCase();
  if (!ISO.test(upper)) return "🏳";
  return String.fromCodePoint(...[...upper].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

/** The English name of a country code ("GB" → United Kingdom), or the code itself. */
export function countryName(code: string | null | undefined, fallback?: string | null): string {
  const upper = (code ?? "").toUpperCase();
  if (fallback) return fallback;
  if (!ISO.test(upper)) return code || "Unknown";
  try {
    return names?.of(upper) ?? upper;
  } catch {
    return upper;
  }
}

// Bigger countries first, with a footprint in cells (":6x3"); each takes the free place nearest to
// its centroid, so the small countries of crowded regions move a little but keep their neighbours.
const CENTROIDS =
  "RU60,95:12x3 CA58,-100:7x3 US39,-98:6x3 CN35,103:5x3 BR-10,-52:4x4 AU-25,134:4x3 IN22,79:3x3 " +
  "AR-36,-65:2x4 KZ48,67:3x2 GL72,-40:3x2 MX24,-102:3x2 ID-2,118:4x1 DZ28,3:2x2 CD-3,23:2x2 SA24,45:2x2 " +
  "LY27,17:2x2 SD15,30:2x1 IR32,53:2x2 MN46.5,103:3x1 PE-9,-75:1x2 CO4,-73 VE7,-66 BO-17,-65 CL-35,-71:1x3 " +
  "GB54,-2 DE51,10 FR46.5,2.5 ES40,-4 IT42.8,12.5 PL52,19 UA49,32:2x1 TR39,35:2x1 JP36,138:1x2 KR36,128 " +
  "ZA-29,25:2x1 NG9,8 EG27,30 PK30,70 AF33,66 TH15,101 VN16,107 MY4,109 PH12,122 MM21,96 " +
  "ET9,39 KE0,38 TZ-6,35 AO-12,18 NE16,8 TD15,19 ML17,-4 MR20,-10 " +
  "SE62,16 NO61,9 FI64,26 IS65,-18 IE53,-8 PT39.5,-8 NL52.2,5.5 BE50.5,4.5 CH46.8,8.2 AT47.5,14 " +
  "CZ49.8,15.5 DK56,10 HU47,19.5 RO46,25 GR39,22 BG42.7,25 RS44,21 BY53.5,28 LT55.5,24 LV57,25 " +
  "EE59,26 SK48.7,19.5 SI46,15 HR45,16 BA44,18 ME42.7,19.3 AL41,20 MK41.6,21.7 XK42.6,21 MD47,28.5 " +
  "LU49.7,6 LI47.1,9.5 MC43.7,7.4 AD42.5,1.5 SM43.9,12.4 MT35.9,14.4 CY35,33 GE42,43.5 AM40,45 " +
  "AZ40.3,47.7 IL31.5,35 PS32,35.2 LB33.9,35.8 SY35,38 JO31,36.5 IQ33,44 KW29.3,47.7 BH26,50.5 " +
  "QA25.3,51.2 AE24,54 OM21,57 YE15.5,48 TM39,59 UZ41,64 TJ39,71 KG41.5,75 NP28,84 BT27.5,90.5 " +
  "BD24,90 LK7.8,80.7 MV3,73 LA18,103 KH12.5,105 SG1.35,103.8 BN4.5,114.7 TL-8.8,126 TW23.7,121 " +
  "HK22.3,114.2 MO22.2,113.5 KP40,127 NZ-41,174:1x2 PG-6,145 FJ-18,178 SB-9,160 VU-16,167 NC-21,165.5 " +
  "WS-13.8,-172 TO-21,-175 PF-17.6,-149.5 GU13.4,144.8 MA32,-6 TN34,9 EH24,-13 SN14,-14 GM13,-15 " +
  "GW12,-15 GN10,-11 SL8,-12 LR6,-9 CI8,-5 BF12,-2 GH8,-1 TG8,1 BJ9,2 CM6,12 CF7,21 SS7,30 " +
  "ER15,39 DJ12,43 SO6,46 UG1,32 RW-2,30 BI-3,30 GA-1,12 CG-1,15 GQ2,10 ST0,7 CV16,-24 ZM-14,28 " +
  "MW-13,34 MZ-18,35 ZW-19,30 BW-22,24 NA-22,17 LS-29,28 SZ-26,31 MG-19,47 MU-20,57 RE-21,55.5 " +
  "SC-5,55 KM-12,44 CU21.5,-79 BS24,-76 JM18.1,-77.3 HT19,-72.5 DO19,-70.5 PR18.2,-66.5 " +
  "TT10.5,-61.3 BB13.2,-59.5 GT15.5,-90.3 BZ17.2,-88.7 SV13.7,-89 HN15,-86.5 NI13,-85 CR10,-84 " +
  "PA8.5,-80 EC-1.5,-78 GY5,-59 SR4,-56 PY-23,-58 UY-33,-56";

export const MAP_COLUMNS = 44;
export const MAP_ROWS = 24;
const NORTH = 76;
const SOUTH = -50;

function mercator(lat: number): number {
  return Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
}

export interface Tile {
  code: string;
  column: number;
  row: number;
  width: number;
  height: number;
}

/** Each country's place on the tile map: near its centroid, on cells no other country has. */
export const TILES: Tile[] = (() => {
  const top = mercator(NORTH);
  const bottom = mercator(SOUTH);
  const taken = new Set<string>();
  const free = (column: number, row: number, width: number, height: number) => {
    if (column < 0 || row < 0 || column + width > MAP_COLUMNS || row + height > MAP_ROWS) return false;
    for (let c = column; c < column + width; c++) {
      for (let r = row; r < row + height; r++) if (taken.has(`${c},${r}`)) return false;
    }
    return true;
  };
  const tiles: Tile[] = [];
  for (const entry of CENTROIDS.split(" ")) {
    const found = /^([A-Z]{2})(-?[\d.]+),(-?[\d.]+)(?::(\d+)x(\d+))?$/.exec(entry);
    if (!found) continue;
    const width = Number(found[4] ?? 1);
    const height = Number(found[5] ?? 1);
    const lat = Math.max(SOUTH, Math.min(NORTH, Number(found[2])));
    let lon = Number(found[3]);
    if (lon < -169) lon += 360; // the map is cut in the Pacific, east of New Zealand
    const x = ((lon + 169) / 360) * MAP_COLUMNS - width / 2;
    const y = ((top - mercator(lat)) / (top - bottom)) * MAP_ROWS - height / 2;
    let best: [number, number] | null = null;
    let bestDistance = Infinity;
    for (let radius = 0; radius < 10 && !best; radius++) {
      for (let dx = -radius; dx <= radius; dx++) {
        for (let dy = -radius; dy <= radius; dy++) {
          const column = Math.round(x) + dx;
          const row = Math.round(y) + dy;
          if (!free(column, row, width, height)) continue;
          const distance = (column - x) ** 2 + (row - y) ** 2;
          if (distance < bestDistance) {
            bestDistance = distance;
            best = [column, row];
          }
        }
      }
    }
    if (!best) continue;
    for (let c = best[0]; c < best[0] + width; c++) {
      for (let r = best[1]; r < best[1] + height; r++) taken.add(`${c},${r}`);
    }
    tiles.push({ code: found[1], column: best[0], row: best[1], width, height });
  }
  return tiles;
})();
