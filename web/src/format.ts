// Numbers, durations and dates as people read them: 12.5k, 42.5%, 3m 05s, 1 Mar 2026.

function trim(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.0+$/, "").replace(/(\.\d*?)0+$/, "$1");
}

/** 999, 1k, 12.5k, 1.2M. */
export function compact(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return "–";
  const sign = value < 0 ? "-" : "";
  const n = Math.abs(value);
  if (n < 1000) return sign + trim(n, n % 1 === 0 ? 0 : 1);
  if (n < 999_950) return sign + trim(n / 1000, n < 10_000 ? 1 : n < 100_000 ? 1 : 0) + "k";
  if (n < 999_950_000) return sign + trim(n / 1_000_000, 1) + "M";
  return sign + trim(n / 1_000_000_000, 1) + "B";
}

/** 1,234,567: the exact figure, for titles and tables where it matters. */
export function exact(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return "–";
  return new Intl.NumberFormat("en-US").format(value);
}

/** 42.5% (from a percentage, not a fraction). */
export function percent(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return "–";
  return `${trim(value, Math.abs(value) >= 100 ? 0 : 1)}%`;
}

/** 45s, 3m 05s, 1h 02m. */
export function duration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** +12.5% / −2.1% for a change against the previous period. */
export function change(value: number): string {
  const sign = value > 0 ? "+" : value < 0 ? "−" : "±";
  return `${sign}${trim(Math.abs(value), Math.abs(value) >= 100 ? 0 : 1)}%`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A calendar date (YYYY-MM-DD) as 1 Mar 2026. */
export function day(date: string, withYear = true): string {
  const [y, m, d] = date.slice(0, 10).split("-").map(Number);
  if (!y || !m || !d) return date;
  return withYear ? `${d} ${MONTHS[m - 1]} ${y}` : `${d} ${MONTHS[m - 1]}`;
}

/** A date range as 1 – 31 Mar 2026, or 1 Mar 2026 for a single day. */
export function range(start: string, end: string): string {
  if (start === end) return day(start);
  const sameYear = start.slice(0, 4) === end.slice(0, 4);
  return `${day(start, !sameYear)} – ${day(end)}`;
}

/** An instant (ISO 8601) in the given time zone, e.g. 1 Mar 2026, 14:05. */
export function instant(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return "–";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat("en-GB", {
      dateStyle: "medium",
      timeStyle: "short",
      timeZone,
    }).format(when);
  } catch {
    return when.toISOString();
  }
}

/** The wall clock time (14:05:09) in a time zone. */
export function clock(when: Date, timeZone?: string): string {
  try {
    return new Intl.DateTimeFormat("en-GB", { timeStyle: "medium", timeZone }).format(when);
  } catch {
    return when.toISOString().slice(11, 19);
  }
}

/** Today's date (YYYY-MM-DD) in a time zone. */
export function today(timeZone?: string): string {
  try {
    const parts = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone })
      .formatToParts(new Date());
    const get = (type: string) => parts.find((part) => part.type === type)?.value ?? "";
    return `${get("year")}-${get("month")}-${get("day")}`;
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

/** Add days to a calendar date (YYYY-MM-DD). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number);
  const moved = new Date(Date.UTC(y, m - 1, d + days));
  return moved.toISOString().slice(0, 10);
}

/** Days from `start` to `end` inclusive. */
export function daysBetween(start: string, end: string): number {
  const ms = Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`);
  return Math.round(ms / 86_400_000) + 1;
}

/** The time zones the browser knows, for the site settings (the browser's own first if absent). */
export function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf ? intl.supportedValuesOf("timeZone") : [];
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}
