// What a site view shows, kept in the URL so that it can be bookmarked and shared:
// ?period=30d | period=custom&start_date=…&end_date=…, &filters=page==/pricing;country!=US, &interval=day.
// The same parameters go, unchanged, to the analytics API.
import { addDays, daysBetween } from "./format";

export type Operator = "==" | "!=" | "~";

export interface Filter {
  dimension: string;
  operator: Operator;
  value: string;
}

export interface ViewQuery {
  period: string;
  start_date?: string;
  end_date?: string;
  filters: Filter[];
  interval?: string;
}

export const PERIODS: { value: string; label: string }[] = [
  { value: "today", label: "Today" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
  { value: "12mo", label: "Last 12 months" },
  { value: "custom", label: "Custom range" },
];
export const DEFAULT_PERIOD = "30d";
export const INTERVALS = ["hour", "day", "week", "month"] as const;

/** The dimensions a filter can use, with the words a person reads on a chip. */
export const DIMENSIONS: Record<string, string> = {
  page: "Page",
  entry_page: "Entry page",
  exit_page: "Exit page",
  source: "Source",
  referrer: "Referrer",
  utm_source: "UTM source",
  utm_medium: "UTM medium",
  utm_campaign: "UTM campaign",
  utm_content: "UTM content",
  utm_term: "UTM term",
  country: "Country",
  region: "Region",
  city: "City",
  browser: "Browser",
  os: "Operating system",
  device: "Device",
  screen_size: "Screen size",
  language: "Language",
  event_name: "Event",
  goal: "Goal",
};

export const OPERATORS: Record<Operator, string> = { "==": "is", "!=": "is not", "~": "contains" };

const FILTER = /^([a-z_]+)(==|!=|~)(.*)$/s;

/** Split on the `;` that are not escaped; `\x` stands for x (the API's own syntax). */
function splitFilters(text: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) current += text[++i];
    else if (c === ";") {
      parts.push(current);
      current = "";
    } else current += c;
  }
  parts.push(current);
  return parts;
}

export function parseFilters(text: string | null): Filter[] {
  if (!text) return [];
  const filters: Filter[] = [];
  for (const part of splitFilters(text)) {
    const found = FILTER.exec(part);
    if (found && found[1] in DIMENSIONS && found[3].trim() !== "") {
      filters.push({ dimension: found[1], operator: found[2] as Operator, value: found[3] });
    }
  }
  return filters;
}

export function formatFilters(filters: Filter[]): string {
  return filters.map((f) => `${f.dimension}${f.operator}${f.value.replace(/[\\;]/g, (c) => `\\${c}`)}`).join(";");
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parseQuery(query: URLSearchParams): ViewQuery {
  const period = query.get("period") ?? DEFAULT_PERIOD;
  const known = PERIODS.some((p) => p.value === period);
  const view: ViewQuery = { period: known ? period : DEFAULT_PERIOD, filters: parseFilters(query.get("filters")) };
  if (view.period === "custom") {
    const start = query.get("start_date") ?? "";
    const end = query.get("end_date") ?? "";
    if (DATE.test(start) && DATE.test(end) && start <= end) {
      view.start_date = start;
      view.end_date = end;
    } else {
      view.period = DEFAULT_PERIOD;
    }
  }
  const interval = query.get("interval");
  if (interval && (INTERVALS as readonly string[]).includes(interval)) view.interval = interval;
  return view;
}

/** The URL search string of a view (what the address bar shows). */
export function toSearch(view: ViewQuery): string {
  const params = new URLSearchParams();
  if (view.period !== DEFAULT_PERIOD) params.set("period", view.period);
  if (view.period === "custom" && view.start_date && view.end_date) {
    params.set("start_date", view.start_date);
    params.set("end_date", view.end_date);
  }
  if (view.filters.length) params.set("filters", formatFilters(view.filters));
  if (view.interval) params.set("interval", view.interval);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The query parameters for the analytics API: period, dates and filters. */
export function apiParams(view: ViewQuery, extra: Record<string, string | number> = {}): string {
  const params = new URLSearchParams({ period: view.period });
  if (view.period === "custom" && view.start_date && view.end_date) {
    params.set("start_date", view.start_date);
    params.set("end_date", view.end_date);
  }
  if (view.filters.length) params.set("filters", formatFilters(view.filters));
  for (const [key, value] of Object.entries(extra)) params.set(key, String(value));
  return params.toString();
}

/** The period of equal length just before the one shown (for the KPIs the API does not compare). */
export function previousPeriod(start: string, end: string): { start_date: string; end_date: string } {
  const length = daysBetween(start, end);
  const previousEnd = addDays(start, -1);
  return { start_date: addDays(previousEnd, -(length - 1)), end_date: previousEnd };
}

/** The chart interval that suits a period when the URL does not name one. */
export function defaultInterval(view: ViewQuery): string {
  if (view.period === "today") return "hour";
  if (view.period === "12mo") return "month";
  if (view.period === "custom" && view.start_date && view.end_date) {
    const days = daysBetween(view.start_date, view.end_date);
    if (days <= 2) return "hour";
    if (days > 120) return "month";
    if (days > 45) return "week";
  }
  return "day";
}

export function withFilter(view: ViewQuery, filter: Filter): ViewQuery {
  const others = view.filters.filter((f) => !(f.dimension === filter.dimension && f.operator === filter.operator));
  return { ...view, filters: [...others, filter] };
}

export function withoutFilter(view: ViewQuery, index: number): ViewQuery {
  return { ...view, filters: view.filters.filter((_, i) => i !== index) };
}
