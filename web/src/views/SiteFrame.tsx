// A site's pages: its name, its sections, and the section the URL names.
import type { Site } from "../api";
import { ErrorNote, Loading } from "../components/ui";
import { useFetch } from "../hooks";
import { useLocation } from "../router";
import { GoalsView } from "./Goals";
import { OverviewView } from "./Overview";
import { RealtimeView } from "./Realtime";
import { SettingsView } from "./Settings";
import { SetupView } from "./Setup";
import { TeamView } from "./Team";

/** The overview's last query string per site. */
export const lastSearch = new Map<number, string>();

const SECTIONS = [
  { tab: "overview", label: "Overview", path: "" },
  { tab: "realtime", label: "Realtime", path: "/realtime" },
  { tab: "goals", label: "Goals", path: "/goals" },
  { tab: "team", label: "Team", path: "/team" },
  { tab: "settings", label: "Settings", path: "/settings" },
];

export function SiteFrame({ id, tab }: { id: number; tab: string }) {
  const { data, error, reload } = useFetch<{ site: Site }>(`/api/sites/${id}`);
  const { query } = useLocation();
  if (error) {
    return (
      <section class="page">
        <ErrorNote message={error} retry={reload} />
        <p>
          <a href="/sites">Back to your sites</a>
        </p>
      </section>
    );
  }
  if (!data) return <Loading />;
  const site = data.site;
  // Back on the overview from another section, the period and filters are as they were left.
  const search = tab === "overview" ? (query.toString() ? `?${query.toString()}` : "") : (lastSearch.get(site.id) ?? "");
  return (
    <section class="page site">
      <div class="site-head">
        <div>
          <p class="crumbs">
            <a href="/sites">Sites</a> /
          </p>
          <h1>{site.name}</h1>
          <p class="muted">
            {site.domain} · {site.timezone}
            {!site.tracking_enabled && <span class="badge">Tracking off</span>}
          </p>
        </div>
        <nav class="site-nav" aria-label={`${site.name} sections`}>
          {SECTIONS.map((s) => (
            <a
              key={s.tab}
              href={`/sites/${site.id}${s.path}${s.tab === "overview" ? search : ""}`}
              aria-current={s.tab === tab || (s.tab === "settings" && tab === "setup") ? "page" : undefined}
            >
              {s.label}
            </a>
          ))}
        </nav>
      </div>
      {tab === "overview" ? (
        <OverviewView site={site} />
      ) : tab === "realtime" ? (
        <RealtimeView site={site} />
      ) : tab === "goals" ? (
        <GoalsView site={site} />
      ) : tab === "team" ? (
        <TeamView site={site} />
      ) : tab === "settings" ? (
        <SettingsView site={site} onSaved={reload} />
      ) : tab === "setup" ? (
        <SetupView site={site} />
      ) : (
        <p>
          There is no such page for this site. <a href={`/sites/${site.id}`}>Go to its overview</a>.
        </p>
      )}
    </section>
  );
}
