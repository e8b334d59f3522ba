// Who is on the site now (the last 5 minutes), refreshed every few seconds while the tab is visible.
import { useEffect, useState } from "preact/hooks";
import type { Realtime, Site } from "../api";
import { Empty, ErrorNote, Loading } from "../components/ui";
import { countryName, flag } from "../countries";
import { clock, compact, exact } from "../format";
import { useFetch, useTitle } from "../hooks";

export const REALTIME_EVERY_MS = 5000;

export function RealtimeView({ site }: { site: Site }) {
  useTitle(`${site.name}: realtime`);
  const { data, error, reload, loading } = useFetch<Realtime>(`/api/sites/${site.id}/analytics/realtime`, {
    every: REALTIME_EVERY_MS,
  });
  const [updated, setUpdated] = useState<Date | null>(null);
  useEffect(() => {
    if (data) setUpdated(new Date());
  }, [data]);
  if (!data && error) return <ErrorNote message={error} retry={reload} />;
  if (!data) return <Loading />;
  const pageMax = Math.max(1, ...data.top_pages.map((p) => p.visitors));
  const countryMax = Math.max(1, ...data.top_countries.map((c) => c.visitors));
  return (
    <div class="realtime" aria-busy={loading}>
      <div class="realtime-head">
        <div class="kpi big" data-kpi="current_visitors">
          <span class="kpi-label">
            <span class={`pulse${data.current_visitors ? " live" : ""}`} aria-hidden="true" />
            Visitors now
          </span>
          <span class="kpi-value" aria-live="polite">
            {compact(data.current_visitors)}
          </span>
        </div>
        <div class="kpi big" data-kpi="pageviews_last_5min">
          <span class="kpi-label">Pageviews, last 5 minutes</span>
          <span class="kpi-value">{compact(data.pageviews_last_5min)}</span>
        </div>
        <p class="muted updated">
          {error ? <span class="error-text">{error} </span> : null}
          Refreshes every {REALTIME_EVERY_MS / 1000} seconds
          {updated && (
            <>
              {" "}· updated {clock(updated, site.timezone)} ({site.timezone})
            </>
          )}
        </p>
      </div>
      <div class="panels">
        <section class="panel" aria-labelledby="rt-pages">
          <div class="panel-head">
            <h2 id="rt-pages">Active pages</h2>
          </div>
          <div class="panel-body">
            {data.top_pages.length === 0 ? (
              <Empty>Nobody is reading right now.</Empty>
            ) : (
              <table class="rows">
                <thead>
                  <tr>
                    <th scope="col">Page</th>
                    <th scope="col" class="num">
                      Visitors
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.top_pages.map((p, i) => (
                    <tr key={i}>
                      <th scope="row" class="row-label">
                        <span class="bar" style={{ width: `${(p.visitors / pageMax) * 100}%` }} aria-hidden="true" />
                        <span class="row-text">{p.page}</span>
                      </th>
                      <td class="num">{exact(p.visitors)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </section>
        <section class="panel" aria-labelledby="rt-countries">
          <div class="panel-head">
            <h2 id="rt-countries">Countries</h2>
          </div>
          <div class="panel-body">
            {data.top_countries.length === 0 ? (
              <Empty>No visitors in the last 5 minutes.</Empty>
            ) : (
              <table class="rows">
                <thead>
                  <tr>
                    <th scope="col">Country</th>
                    <th scope="col" class="num">
                      Visitors
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.top_countries.map((c, i) => (
                    <tr key={i}>
                      <th scope="row" class="row-label">
                        <span class="bar" style={{ width: `${(c.visitors / countryMax) * 100}%` }} aria-hidden="true" />
                        <span class="row-prefix" aria-hidden="true">
                          {flag(c.country)}
                        </span>
                        <span class="row-text">{countryName(c.country)}</span>
                      </th>
                      <td class="num">{exact(c.visitors)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <p class="attribution">
              <a href="https://db-ip.com" rel="noopener noreferrer" target="_blank">
                IP geolocation by DB-IP
              </a>
            </p>
          </div>
        </section>
      </div>
    </div>
  );
}
