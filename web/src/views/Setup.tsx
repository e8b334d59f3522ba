// A new site's tracking code, and a live check that turns green when the first pageview arrives.
import type { Overview, Realtime, Site } from "../api";
import { CodeBlock } from "../components/ui";
import { useFetch, useTitle } from "../hooks";

export function snippet(site: Site): string {
  return `<script defer data-key="${site.sid}" src="${window.location.origin}/js/analytics.js"></script>`;
}

export const WAIT_EVERY_MS = 3000;

/** Polls realtime (cheap) until a pageview shows; the year's overview tells about older ones. */
export function FirstPageview({ site }: { site: Site }) {
  const realtime = useFetch<Realtime>(`/api/sites/${site.id}/analytics/realtime`, { every: WAIT_EVERY_MS });
  const year = useFetch<Overview>(`/api/sites/${site.id}/analytics/overview?period=12mo`);
  const arrived =
    (realtime.data && (realtime.data.pageviews_last_5min > 0 || realtime.data.current_visitors > 0)) ||
    (year.data && year.data.data.pageviews > 0);
  if (arrived) {
    return (
      <div class="waiting done" role="status" data-state="received">
        <span class="dot" aria-hidden="true" />
        <p>
          <strong>Pageviews are arriving.</strong> <a href={`/sites/${site.id}`}>See the overview</a>
        </p>
      </div>
    );
  }
  return (
    <div class="waiting" role="status" data-state="waiting">
      <span class="dot" aria-hidden="true" />
      <p>
        <strong>Waiting for the first pageview…</strong> Open a page of {site.domain} that has the code; this turns green
        within seconds.
        {realtime.error && <span class="error-text"> ({realtime.error})</span>}
      </p>
    </div>
  );
}

export function TrackingCode({ site }: { site: Site }) {
  return (
    <>
      <p>
        Add this line to the <code>&lt;head&gt;</code> of every page of <strong>{site.domain}</strong>:
      </p>
      <CodeBlock code={snippet(site)} label="Tracking code" />
      <p class="hint">
        It is under a kilobyte, sets no cookies and needs no consent banner. Custom events:{" "}
        <code>almanac("Signup", {"{"} props: {"{"} plan: "pro" {"}"} {"}"})</code>.
      </p>
    </>
  );
}

export function SetupView({ site }: { site: Site }) {
  useTitle(`${site.name}: tracking code`);
  return (
    <div class="setup">
      <section class="card">
        <h2>Start tracking {site.name}</h2>
        <TrackingCode site={site} />
        <FirstPageview site={site} />
      </section>
    </div>
  );
}
