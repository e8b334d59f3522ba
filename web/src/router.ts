// Client-side routing over the History API. The server answers index.html for every path whose
// first segment is in FIRST_SEGMENTS (appliance/http/dashboard.py: CLIENT_ROUTES), so any URL of
// the dashboard can be bookmarked, reloaded and shared.
import { useEffect, useState } from "preact/hooks";

export const FIRST_SEGMENTS = ["login", "sites", "account", "invitations"];

export interface Location {
  path: string;
  query: URLSearchParams;
}

function current(): Location {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

const listeners = new Set<() => void>();
function notify(): void {
  for (const listener of listeners) listener();
}
window.addEventListener("popstate", notify);

/** Go to `url` (a path with an optional query) inside the app. */
export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (url === window.location.pathname + window.location.search) return;
  if (options.replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  if (!options.replace) window.scrollTo(0, 0);
  notify();
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const listener = () => setLocation(current());
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return location;
}

/** Match `path` against a pattern such as `/sites/:id/team`; answers the parameters or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/").filter(Boolean);
  const got = path.split("/").filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(":")) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}

/** A click on an in-app link: navigate without a page load (modified clicks open as usual). */
export function followLink(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  const anchor = (event.target as Element | null)?.closest?.("a");
  if (!anchor || anchor.target || anchor.hasAttribute("download")) return;
  const url = new URL(anchor.href, window.location.href);
  if (url.origin !== window.location.origin) return;
  const first = url.pathname.split("/")[1] ?? "";
  if (first !== "" && !FIRST_SEGMENTS.includes(first)) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
}
