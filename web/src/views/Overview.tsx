// A site's overview: KPIs against the previous period, the time series, and the breakdown panels.
// The period and filters live in the URL; clicking a row adds a filter; chips take them away.
import { useEffect, useState } from "preact/hooks";
import type { Overview, Site, Timeseries } from "../api";
import { Breakdown, type BreakdownTab, type Row } from "../components/Breakdown";
import { TimeChart } from "../components/Chart";
import { FilterChips, PeriodPicker } from "../components/Controls";
import { ErrorNote, Loading } from "../components/ui";
import { WorldMap } from "../components/WorldMap";
import { countryName, flag } from "../countries";
import { change, compact, daysBetween, duration, exact, percent } from "../format";
import { type Loaded, useFetch, useTitle } from "../hooks";
import { navigate, useLocation } from "../router";
import {
  apiParams,
  defaultInterval,
  INTERVALS,
  parseQuery,
  previousPeriod,
  toSearch,
  withFilter,
  withoutFilter,
  type ViewQuery,
} from "../query";
import { lastSearch } from "./SiteFrame";

type Numbers = Overview["data"];

interface Kpi {
  key: keyof Numbers;
  label: string;
  show: (value: number) => string;
  given?: "visitors_change" | "pageviews_change" | "bounce_rate_change";
  lowerIsBetter?: boolean;
  /** The API gives this change in percentage points, not percent. */
  points?: boolean;
}

const KPIS: Kpi[] = [
  { key: "unique_visitors", label: "Unique visitors", show: compact, given: "visitors_change" },
  { key: "pageviews", label: "Pageviews", show: compact, given: "pageviews_change" },
  { key: "sessions", label: "Sessions", show: compact },
  { key: "bounce_rate", label: "Bounce rate", show: percent, given: "bounce_rate_change", lowerIsBetter: true, points: true },
  { key: "avg_session_duration", label: "Visit duration", show: duration },
  { key: "events", label: "Events", show: compact },
  { key: "goals", label: "Conversions", show: compact },
];

/** The change in percent from `before` to `now`; null when there was nothing before. */
export function relativeChange(now: number, before: number): number | null {
  if (!Number.isFinite(now) || !Number.isFinite(before)) return null;
  if (before === 0) return now === 0 ? 0 : null;
  return ((now - before) / before) * 100;
}

function Kpis({ site, view, current }: { site: Site; view: ViewQuery; current: Loaded<Overview> }) {
  const base = `/api/sites/${site.id}/analytics/overview`;
  const shown = current.data?.period;
  const previous = shown ? previousPeriod(shown.start_date, shown.end_date) : null;
  const before = useFetch<Overview>(
    previous ? `${base}?${apiParams({ ...view, period: "custom", ...previous })}` : null,
  );
  if (current.error) return <ErrorNote message={current.error} retry={current.reload} />;
  if (!current.data) return <Loading label="Loading the numbers…" />;
  const now = current.data.data;
  const comparison = current.data.comparison ?? {};
  return (
    <ul class="kpis" aria-busy={current.loading} aria-label="Key figures">
      {KPIS.map((kpi) => {
        const given = kpi.given ? comparison[kpi.given] : undefined;
        const delta =
          given !== undefined && given !== null
            ? given
            : before.data
              ? relativeChange(now[kpi.key], before.data.data[kpi.key])
              : undefined;
        const good = delta == null || delta === 0 ? "flat" : (delta > 0) !== !!kpi.lowerIsBetter ? "up" : "down";
        return (
          <li class="kpi" key={kpi.key} data-kpi={kpi.key}>
            <span class="kpi-label">{kpi.label}</span>
            <span class="kpi-value" title={kpi.key === "avg_session_duration" || kpi.key === "bounce_rate" ? undefined : exact(now[kpi.key])}>
              {kpi.show(now[kpi.key])}
            </span>
            <span class={`kpi-change ${good}`}>
              {delta === undefined ? "\u00a0" : delta === null ? "new" : kpi.points && given != null ? change(delta).replace("%", " pp") : change(delta)}
              <span class="visually-hidden"> against the previous period</span>
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function Series({ site, view, onInterval }: { site: Site; view: ViewQuery; onInterval: (interval: string) => void }) {
  const interval = view.interval ?? defaultInterval(view);
  const { data, error, reload, loading } = useFetch<Timeseries>(
    `/api/sites/${site.id}/analytics/timeseries?${apiParams(view, { interval })}`,
  );
  const days = data?.period ? daysBetween(data.period.start_date, data.period.end_date) : view.period === "today" ? 1 : 30;
  const label = `Visitors and pageviews per ${interval}`;
  return (
    <section class="panel wide" aria-labelledby="series-heading">
      <div class="panel-head">
        <h2 id="series-heading">{label}</h2>
        <div class="segmented" role="group" aria-label="Interval">
          {INTERVALS.map((i) => (
            <button
              key={i}
              type="button"
              aria-pressed={i === interval}
              disabled={(i === "hour" && days > 31) || (i === "month" && days < 28 && i !== interval)}
              onClick={() => onInterval(i)}
            >
              {i[0].toUpperCase() + i.slice(1)}
            </button>
          ))}
        </div>
      </div>
      <div class="panel-body" aria-busy={loading}>
        {error ? (
          <ErrorNote message={error} retry={reload} />
        ) : !data ? (
          <Loading />
        ) : (
          <TimeChart buckets={data.data} interval={data.interval ?? interval} label={`${label} (${site.timezone})`} />
        )}
      </div>
    </section>
  );
}

function maxOf(values: number[]): number {
  return Math.max(1, ...values);
}

interface Named {
  name: string;
  visitors: number;
  percentage?: number;
  sessions?: number;
  bounce_rate?: number;
  country?: string | null;
  region?: string | null;
}

function namedRows(answer: { data: Named[] }, extra?: (row: Named) => string[]): Row[] {
  const rows = answer.data ?? [];
  const max = maxOf(rows.map((r) => r.visitors));
  return rows.map((r) => ({
    filter: r.name,
    label: r.region ? `${r.name}, ${r.region}` : r.name || "(none)",
    prefix: r.country ? flag(r.country) : undefined,
    share: r.visitors / max,
    metrics: extra ? extra(r) : [compact(r.visitors), percent(r.percentage)],
    titles: [exact(r.visitors)],
  }));
}

function named(key: string, label: string, endpoint: string, dimension?: string): BreakdownTab {
  return { key, label, endpoint, dimension, columns: ["Visitors", "%"], rows: (a) => namedRows(a) };
}

function pagesTabs(base: string): BreakdownTab[] {
  const landing = (r: Named) => [compact(r.visitors), r.bounce_rate == null ? compact(r.sessions ?? 0) : percent(r.bounce_rate)];
  return [
    {
      key: "pages",
      label: "Top pages",
      endpoint: `${base}/pageviews`,
      dimension: "page",
      columns: ["Visitors", "Pageviews"],
      rows: (answer: { data: { page: string; pageviews: number; unique_visitors: number }[] }) => {
        const max = maxOf(answer.data.map((r) => r.pageviews));
        return answer.data.map((r) => ({
          filter: r.page,
          label: r.page,
          share: r.pageviews / max,
          metrics: [compact(r.unique_visitors), compact(r.pageviews)],
          titles: [exact(r.unique_visitors), exact(r.pageviews)],
        }));
      },
    },
    { key: "entry", label: "Entry pages", endpoint: `${base}/entry-pages`, dimension: "entry_page", columns: ["Visitors", "Bounce rate"], rows: (a) => namedRows(a, landing) },
    { key: "exit", label: "Exit pages", endpoint: `${base}/exit-pages`, dimension: "exit_page", columns: ["Visitors", "Sessions"], rows: (a) => namedRows(a, (r) => [compact(r.visitors), compact(r.sessions ?? 0)]) },
  ];
}

function utmTab(key: "sources" | "mediums" | "campaigns", field: string, label: string, dimension: string, base: string): BreakdownTab {
  return {
    key: `utm-${key}`,
    label,
    endpoint: `${base}/utm-sources`,
    dimension,
    columns: ["Visitors"],
    rows: (answer: Record<string, Record<string, string | number>[]>) => {
      const rows = answer[key] ?? [];
      const max = maxOf(rows.map((r) => Number(r.visitors)));
      return rows.map((r) => ({
        filter: String(r[field]),
        label: String(r[field]),
        share: Number(r.visitors) / max,
        metrics: [compact(Number(r.visitors))],
        titles: [exact(Number(r.visitors))],
      }));
    },
    empty: "No visits with UTM tags in this period.",
  };
}

function sourcesTabs(base: string): BreakdownTab[] {
  return [
    {
      key: "sources",
      label: "Sources",
      endpoint: `${base}/referrers`,
      dimension: "source",
      columns: ["Visitors", "%"],
      rows: (answer: { data: { source: string; visitors: number; percentage: number }[] }) => {
        const max = maxOf(answer.data.map((r) => r.visitors));
        return answer.data.map((r) => ({
          filter: r.source,
          label: r.source,
          share: r.visitors / max,
          metrics: [compact(r.visitors), percent(r.percentage)],
          titles: [exact(r.visitors)],
        }));
      },
    },
    utmTab("sources", "source", "UTM sources", "utm_source", base),
    utmTab("mediums", "medium", "UTM mediums", "utm_medium", base),
    utmTab("campaigns", "campaign", "UTM campaigns", "utm_campaign", base),
  ];
}

interface Country {
  country: string;
  country_name?: string;
  visitors: number;
  percentage?: number;
}

const ATTRIBUTION = (
  <p class="attribution">
    <a href="https://db-ip.com" rel="noopener noreferrer" target="_blank">
      IP geolocation by DB-IP
    </a>
  </p>
);

function locationTabs(base: string, onFilter: (dimension: string, value: string) => void): BreakdownTab[] {
  const countries = (answer: { data: Country[] }): Row[] => {
    const max = maxOf(answer.data.map((r) => r.visitors));
    return answer.data.map((r) => ({
      filter: r.country,
      label: countryName(r.country, r.country_name),
      prefix: flag(r.country),
      share: r.visitors / max,
      metrics: [compact(r.visitors), percent(r.percentage)],
      titles: [exact(r.visitors)],
    }));
  };
  return [
    { key: "countries", label: "Countries", endpoint: `${base}/locations`, dimension: "country", columns: ["Visitors", "%"], rows: countries, footer: ATTRIBUTION },
    {
      key: "map",
      label: "Map",
      endpoint: `${base}/locations`,
      columns: [],
      rows: countries,
      render: (answer: { data: Country[] }) => (
        <WorldMap visitors={new Map(answer.data.map((r) => [r.country, r.visitors]))} onSelect={(code) => onFilter("country", code)} />
      ),
      footer: ATTRIBUTION,
    },
    { ...named("regions", "Regions", `${base}/regions`, "region"), footer: ATTRIBUTION },
    { ...named("cities", "Cities", `${base}/cities`, "city"), footer: ATTRIBUTION },
  ];
}

function deviceTabs(base: string): BreakdownTab[] {
  return [
    named("browsers", "Browsers", `${base}/browsers`, "browser"),
    named("os", "OS", `${base}/operating-systems`, "os"),
    named("devices", "Devices", `${base}/devices`, "device"),
    named("screens", "Screen sizes", `${base}/screen-sizes`, "screen_size"),
    named("languages", "Languages", `${base}/languages`, "language"),
  ];
}

interface EventRow {
  name: string;
  count: number;
  unique_visitors: number;
  properties?: Record<string, (string | number | boolean | null)[]>;
}

function Properties({ properties }: { properties: NonNullable<EventRow["properties"]> }) {
  const entries = Object.entries(properties);
  if (entries.length === 0) return null;
  return (
    <details class="properties">
      <summary>Properties</summary>
      <dl>
        {entries.map(([key, values]) => (
          <div key={key}>
            <dt>{key}</dt>
            <dd>
              <ul>
                {(Array.isArray(values) ? values : [values]).slice(0, 20).map((v, i) => (
                  <li key={i}>{v === null ? "(none)" : String(v)}</li>
                ))}
              </ul>
            </dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

function eventTabs(base: string): BreakdownTab[] {
  return [
    {
      key: "events",
      label: "Events",
      endpoint: `${base}/events`,
      dimension: "event_name",
      columns: ["Visitors", "Count"],
      empty: "No custom events in this period.",
      rows: (answer: { data: EventRow[] }) => {
        const max = maxOf(answer.data.map((r) => r.count));
        return answer.data.map((r) => ({
          filter: r.name,
          label: r.name,
          share: r.count / max,
          metrics: [compact(r.unique_visitors), compact(r.count)],
          titles: [exact(r.unique_visitors), exact(r.count)],
          details: r.properties ? <Properties properties={r.properties} /> : undefined,
        }));
      },
    },
  ];
}

function goalTabs(base: string, siteId: number): BreakdownTab[] {
  return [
    {
      key: "goals",
      label: "Goals",
      endpoint: `${base}/goals`,
      dimension: "goal",
      columns: ["Conversions", "Rate", "Value"],
      rows: (answer: { data: { name: string; conversions: number; conversion_rate: number; total_value?: number }[] }) => {
        const max = maxOf(answer.data.map((r) => r.conversions));
        return answer.data.map((r) => ({
          filter: r.name,
          label: r.name,
          share: r.conversions / max,
          metrics: [compact(r.conversions), percent(r.conversion_rate), r.total_value ? compact(r.total_value) : "–"],
          titles: [exact(r.conversions)],
        }));
      },
      empty: "No goals yet.",
      footer: (
        <p class="panel-foot">
          <a href={`/sites/${siteId}/goals`}>Manage goals</a>
        </p>
      ),
    },
  ];
}

const EXPORT_TYPES = ["pageviews", "visitors", "events", "goals", "sessions"];

function Export({ site, view }: { site: Site; view: ViewQuery }) {
  const [type, setType] = useState("pageviews");
  const [format, setFormat] = useState("csv");
  const href = `/api/sites/${site.id}/export?${apiParams(view, { format, type })}`;
  return (
    <details class="export">
      <summary class="button small">Export</summary>
      <div class="export-body">
        <label>
          Data
          <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
            {EXPORT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t[0].toUpperCase() + t.slice(1)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Format
          <select value={format} onChange={(e) => setFormat(e.currentTarget.value)}>
            <option value="csv">CSV</option>
            <option value="json">JSON</option>
          </select>
        </label>
        <a class="button small primary" href={href} download>
          Download
        </a>
      </div>
    </details>
  );
}

export function OverviewView({ site }: { site: Site }) {
  useTitle(site.name);
  const { query } = useLocation();
  const view = parseQuery(query);
  const search = toSearch(view);
  useEffect(() => {
    lastSearch.set(site.id, search);
  }, [site.id, search]);
  const go = (next: ViewQuery) => navigate(`/sites/${site.id}${toSearch(next)}`);
  const onFilter = (dimension: string, value: string) => go(withFilter(view, { dimension, operator: "==", value }));
  const base = `/api/sites/${site.id}/analytics`;
  const period = useFetch<Overview>(`${base}/overview?${apiParams(view)}`);
  return (
    <div class="overview">
      <div class="toolbar">
        <PeriodPicker key={search} view={view} timeZone={site.timezone} shown={period.data?.period} onChange={go} />
        <Export site={site} view={view} />
      </div>
      <FilterChips
        filters={view.filters}
        onRemove={(index) => go(withoutFilter(view, index))}
        onAdd={(filter) => go(withFilter(view, filter))}
        onClear={() => go({ ...view, filters: [] })}
      />
      <Kpis site={site} view={view} current={period} />
      <Series site={site} view={view} onInterval={(interval) => go({ ...view, interval })} />
      <div class="panels">
        <Breakdown title="Pages" tabs={pagesTabs(base)} view={view} onFilter={onFilter} />
        <Breakdown title="Sources" tabs={sourcesTabs(base)} view={view} onFilter={onFilter} />
        <Breakdown title="Locations" tabs={locationTabs(base, onFilter)} view={view} onFilter={onFilter} />
        <Breakdown title="Devices" tabs={deviceTabs(base)} view={view} onFilter={onFilter} />
        <Breakdown title="Events" tabs={eventTabs(base)} view={view} onFilter={onFilter} />
        <Breakdown title="Goals" tabs={goalTabs(base, site.id)} view={view} onFilter={onFilter} />
      </div>
    </div>
  );
}
