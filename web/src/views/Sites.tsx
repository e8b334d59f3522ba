// The list of sites (visitors of the last 24 hours, with a sparkline), and adding a site.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type Overview, type Site, type Timeseries } from "../api";
import { Sparkline } from "../components/Sparkline";
import { Empty, ErrorNote, Field, Loading } from "../components/ui";
import { browserTimeZone, compact, exact, timeZones } from "../format";
import { useAction, useFetch, useTitle } from "../hooks";
import { navigate } from "../router";

function SiteCard({ site }: { site: Site }) {
  // period=24h: the 24 hours up to now. The overview counts each visitor once; the timeseries
  // gives the sparkline's hours (the first and last cut to the window).
  const base = `/api/sites/${site.id}/analytics`;
  const overview = useFetch<Overview>(`${base}/overview?period=24h`);
  const series = useFetch<Timeseries>(`${base}/timeseries?period=24h&interval=hour`);
  const error = overview.error ?? series.error;
  const total = overview.data?.data.unique_visitors ?? 0;
  const hours = series.data ? series.data.data.map((b) => b.visitors) : [];
  return (
    <li class="card site-card">
      <a class="site-link" href={`/sites/${site.id}`}>
        <span class="site-name">{site.name}</span>
        <span class="site-domain">{site.domain}</span>
      </a>
      <div class="site-stats">
        {error ? (
          <span class="muted" title={error}>
            Numbers unavailable
          </span>
        ) : !overview.data || !series.data ? (
          <span class="muted">Loading…</span>
        ) : (
          <>
            <span class="site-visitors" title={`${exact(total)} unique visitors in the last 24 hours`}>
              <strong>{compact(total)}</strong> visitors, last{"\u00a0"}24{"\u00a0"}h
            </span>
            <Sparkline values={hours} label={`Visitors per hour over the last 24 hours on ${site.name}`} />
          </>
        )}
      </div>
      {!site.tracking_enabled && <span class="badge">Tracking off</span>}
    </li>
  );
}

export function SitesView() {
  useTitle("Sites");
  const { data, error, reload } = useFetch<{ sites: Site[] }>("/api/sites");
  return (
    <section class="page">
      <div class="page-head">
        <h1>Sites</h1>
        <a class="button primary" href="/sites/new">
          Add a site
        </a>
      </div>
      {error ? (
        <ErrorNote message={error} retry={reload} />
      ) : !data ? (
        <Loading />
      ) : data.sites.length === 0 ? (
        <Empty>
          No sites yet. <a href="/sites/new">Add your first site</a> to get its tracking code.
        </Empty>
      ) : (
        <ul class="site-list">
          {data.sites.map((site) => (
            <SiteCard key={site.id} site={site} />
          ))}
        </ul>
      )}
    </section>
  );
}

export function TimeZoneSelect({ id, value, onChange }: { id: string; value: string; onChange: (zone: string) => void }) {
  const zones = timeZones();
  const all = zones.includes(value) ? zones : [value, ...zones];
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
      {all.map((zone) => (
        <option key={zone} value={zone}>
          {zone.replace(/_/g, " ")}
        </option>
      ))}
    </select>
  );
}

export function NewSiteView() {
  useTitle("Add a site");
  const [name, setName] = useState("");
  const [domain, setDomain] = useState("");
  const [timezone, setTimezone] = useState(browserTimeZone());
  const { run, busy, error, fields } = useAction(async () => {
    const answer = await api<{ site: Site }>("POST", "/api/sites", { name: name || domain, domain, timezone });
    navigate(`/sites/${answer.site.id}/setup`);
  });
  const submit = (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    run();
  };
  return (
    <section class="page narrow">
      <h1>Add a site</h1>
      <form class="card form" onSubmit={submit}>
        <Field label="Domain" hint="The host name your site is served from, such as example.com." errors={fields.domain}>
          {(id, describedBy) => (
            <input
              id={id}
              aria-describedby={describedBy}
              required
              autoComplete="off"
              spellcheck={false}
              placeholder="example.com"
              value={domain}
              onInput={(e) => setDomain(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="Name" hint="How the site is called in the dashboard (the domain if empty)." errors={fields.name}>
          {(id, describedBy) => (
            <input id={id} aria-describedby={describedBy} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          )}
        </Field>
        <Field label="Time zone" hint="Days and hours in reports follow this time zone." errors={fields.timezone}>
          {(id) => <TimeZoneSelect id={id} value={timezone} onChange={setTimezone} />}
        </Field>
        {error && <ErrorNote message={error} />}
        <div class="actions">
          <a class="button" href="/sites">
            Cancel
          </a>
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? "Adding…" : "Add site"}
          </button>
        </div>
      </form>
    </section>
  );
}
