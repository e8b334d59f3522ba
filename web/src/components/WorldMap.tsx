// Visitors per country on a tile grid map (countries.ts lays it out): one square per country,
// shaded by its share of visitors. The table beside it carries the same data for keyboards and
// screen readers; a click on a visited country filters the view like a click on its row.
import { MAP_COLUMNS, MAP_ROWS, TILES, countryName } from "../countries";
import { exact } from "../format";

const CELL = 16;
const GAP = 2;

export function WorldMap({
  visitors,
  onSelect,
}: {
  visitors: Map<string, number>;
  onSelect?: (code: string) => void;
}) {
  const max = Math.max(1, ...visitors.values());
  const top = [...visitors.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  const summary = top.length
    ? `Map of visitors by country. Most visitors from ${top.map(([code, n]) => `${countryName(code)} (${exact(n)})`).join(", ")}.`
    : "Map of visitors by country: no visitors in this period.";
  return (
    <svg
      class="world-map"
      viewBox={`0 0 ${MAP_COLUMNS * CELL} ${MAP_ROWS * CELL}`}
      role="img"
      aria-label={summary}
    >
      {TILES.map((tile) => {
        const count = visitors.get(tile.code) ?? 0;
        const share = count / max;
        const name = countryName(tile.code);
        return (
          <g
            key={tile.code}
            class={count ? "tile visited" : "tile"}
            onClick={count && onSelect ? () => onSelect(tile.code) : undefined}
          >
            <title>{count ? `${name}: ${exact(count)} visitors` : `${name}: no visitors`}</title>
            <rect
              x={tile.column * CELL + GAP / 2}
              y={tile.row * CELL + GAP / 2}
              width={tile.width * CELL - GAP}
              height={tile.height * CELL - GAP}
              rx={3}
              style={count ? { fillOpacity: String(0.25 + 0.75 * Math.sqrt(share)) } : undefined}
            />
          </g>
        );
      })}
    </svg>
  );
}
