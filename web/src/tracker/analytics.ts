// Almanac's tracker, served at /js/analytics.js: pageviews (single-page apps too), engaged time and
// scroll depth (heartbeats), leave (sendBeacon) and custom events, in under 1 KB gzipped (the build
// fails over budget, hence the terse style). Everything runs inside `quiet`, and every request
// swallows its failure: nothing we do can throw into the host page.
import type { Almanac, Props } from "./types";

const quiet =
  <A extends unknown[]>(f: (...args: A) => unknown) =>
  (...args: A): void => {
    try {
      f(...args);
    } catch {
      // The host page must never see our errors.
    }
  };

quiet((w: Window, d: Document, n: Navigator, loc: Location) => {
  const script = d.currentScript as HTMLScriptElement;
  const options = script.dataset;
  const key = options.key;
  // The API lives beside the script, on the appliance that served it.
  const api = new URL("/analytics/", script.src);
  const queued = w.almanac?.q;
  const noop = () => {};
  // Defined even when we stay silent, so that the page's calls never fail.
  w.almanac = noop;
  if (
    !key ||
    (!("allowLocalhost" in options) && /^(localhost|127\.|\[::1\]|$)/.test(loc.hostname)) ||
    ("respectDnt" in options && (n.doNotTrack == (1 as never) || n.globalPrivacyControl))
  )
    return;

  const persist = "persist" in options;
  const hashRouting = "hash" in options;
  // Cookieless unless the site opts in: then the visitor id the server returned is kept and sent.
  let visitor: string | undefined = (persist && localStorage.almanac) || undefined;
  let session: string | undefined;
  // Set by view() before anything reads them: the current pageview's event id, path, engaged seconds
  // (counted by the ticker below) and deepest scroll in percent.
  let event: number;
  let path: string | undefined;
  let engaged: number;
  let depth: number;
  // Each request waits for the pageview before it, so that it carries its session and event ids.
  let ready: Promise<unknown> = Promise.resolve();

  // Answers the parsed JSON, or undefined on any failure.
  const post = (route: string, body: object) =>
    fetch(api + route, {
      method: "POST",
      keepalive: true,
      // A string body goes as text/plain;charset=UTF-8, a "simple" content type: browsers send it
      // cross-origin without a CORS preflight. The default credentials mode sends no cookies there.
      body: JSON.stringify(body),
    })
      .then((response) => response.json())
      .catch(noop);

  const measure = () => {
    depth = Math.max(depth, Math.min(100, ((w.scrollY + w.innerHeight) * 100) / d.documentElement.scrollHeight) | 0);
  };

  const beat = () => {
    measure();
    event && post("heartbeat", { event_id: event, session_id: session, time_on_page: engaged, scroll_depth: depth });
  };

  const view = quiet(() => {
    const current = loc.pathname + loc.search + (hashRouting ? loc.hash : "");
    if (current == path) return;
    beat(); // the last word on the previous pageview
    // The page's referrer belongs to its first pageview only.
    const referrer = path ? undefined : d.referrer;
    path = current;
    event = engaged = depth = 0;
    ready = ready
      .then(() =>
        // No `type`: a track without one is a pageview. The title is read when the request goes (a
        // microtask later at the soonest), as apps set it after their pushState.
        post("track", {
          key,
          visitor_id: visitor,
          session_id: session,
          path: current,
          title: d.title,
          referrer,
          screen_width: screen.width,
          screen_height: screen.height,
          language: n.language,
        }),
      )
      .then((answer: any) => {
        event = answer.event_id;
        session = answer.session_id;
        if (persist) localStorage.almanac = visitor = answer.visitor_id;
      })
      .catch(noop);
  });

  const listen = (target: EventTarget, type: string, f: () => unknown) => target.addEventListener(type, quiet(f));
  for (const method of ["pushState", "replaceState"] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History["pushState"]>) {
      original.apply(this, args);
      view();
    };
  }
  listen(w, "popstate", view);
  if (hashRouting) listen(w, "hashchange", view);
  listen(w, "scroll", measure);
  // Leaving fires pagehide, then visibilitychange: the last heartbeat follows the leave.
  listen(d, "visibilitychange", () => d.hidden && beat());
  listen(w, "pagehide", () => session && n.sendBeacon(api + "leave", JSON.stringify({ session_id: session })));
  // Engaged time: a second counts while the page is visible; a heartbeat every 15 of them.
  setInterval(quiet(() => d.hidden || ++engaged % 15 || beat()), 1e3);

  w.almanac = quiet((name: string, options?: { props?: Props }) =>
    ready.then(() =>
      post("event", { key, name, visitor_id: visitor, session_id: session, path, properties: options?.props }),
    ),
  ) as Almanac;

  view();
  queued?.map((args) => w.almanac!(...(args as unknown as Parameters<Almanac>)));
  // Outbound links and file downloads live in a second module, loaded only when the tag asks.
  if ("outbound" in options || "downloads" in options)
    import(/* @vite-ignore */ api + "../js/analytics-extras.js").catch(noop);
})(window, document, navigator, location);
