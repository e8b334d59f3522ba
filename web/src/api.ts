// The dashboard talks only to the documented HTTP APIs, with the cookie session: the session cookie
// is HttpOnly (script never sees it) and every write echoes the readable CSRF cookie in a header.
// No token is ever kept in localStorage or anywhere else in script.

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public fields: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

/** Called when a request answers 401 (the session has ended): the app sends the user to sign in. */
let onSignedOut: (() => void) | null = null;
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)almanac_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** Whether this browser holds a dashboard session (its CSRF cookie is readable; the session's is not). */
export function hasSession(): boolean {
  return csrfToken() !== "";
}

/** What to tell a person when the server says `status` (and perhaps a message of its own). */
export function plainWords(status: number, message?: string): string {
  switch (status) {
    case 0:
      return "Almanac could not be reached. Check your connection and try again.";
    case 401:
      return message && message !== "Unauthenticated." ? message : "Your session has ended. Sign in again.";
    case 403:
      return message && message !== "This action is unauthorized."
        ? message
        : "You do not have permission to do that on this site.";
    case 404:
      return message && message !== "Not found." ? message : "This was not found. It may have been deleted.";
    case 422:
      return message || "Some fields need attention.";
    case 429:
      return "Too many requests in a short time. Wait a minute, then try again.";
    default:
      if (status >= 500) return "The server ran into a problem. Try again in a moment.";
      return message || `The server answered with an error (${status}).`;
  }
}

export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, plainWords(0));
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const message = data && typeof data === "object" ? data.message || data.error : undefined;
    const fields = data && typeof data === "object" && data.errors && typeof data.errors === "object" ? data.errors : {};
    if (response.status === 401 && path !== "/api/login" && onSignedOut) onSignedOut();
    throw new ApiError(response.status, plainWords(response.status, message), fields);
  }
  return data as T;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return "Something went wrong in the dashboard. Reload the page and try again.";
}

// The shapes of the answers the dashboard reads.

export interface User {
  id: number;
  name: string;
  email: string;
  is_admin?: boolean;
}

export interface Site {
  id: number;
  name: string;
  domain: string;
  sid: string;
  timezone: string;
  tracking_enabled: boolean;
  created_at: string | null;
}

export interface Period {
  start_date: string;
  end_date: string;
}

export interface Overview {
  data: {
    pageviews: number;
    unique_visitors: number;
    sessions: number;
    bounce_rate: number;
    avg_session_duration: number;
    events: number;
    goals: number;
  };
  comparison?: { pageviews_change?: number | null; visitors_change?: number | null; bounce_rate_change?: number | null };
  period: Period;
}

export interface Pagination {
  current_page: number;
  per_page: number;
  total: number;
  total_pages: number;
}

export interface Bucket {
  date: string;
  visitors: number;
  pageviews: number;
  sessions?: number;
}

export interface Timeseries {
  data: Bucket[];
  interval: string;
  period?: Period;
}

export interface Realtime {
  current_visitors: number;
  pageviews_last_5min: number;
  top_pages: { page: string; visitors: number }[];
  top_countries: { country: string; visitors: number }[];
}

export interface Goal {
  id: number;
  name: string;
  type: string;
  match_type?: string | null;
  match_value: string | number;
  created_at?: string | null;
}

export interface Member {
  id: number;
  name: string;
  email: string;
  role: string;
}

export interface Invitation {
  id: number;
  email: string;
  role: string;
  expires_at: string | null;
}

export interface ApiToken {
  id: number;
  name: string;
  prefix: string;
  created_at: string | null;
  token?: string;
}
