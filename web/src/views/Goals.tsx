// A site's goals: the list with the last 30 days' conversions, creating one (checked by the server
// as it is typed, so a regex is judged by the engine that will run it), and deleting one.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, type Goal, type Site } from "../api";
import { ConfirmButton, Empty, ErrorNote, Field, Loading, Notice } from "../components/ui";
import { compact, duration, instant, percent } from "../format";
import { useAction, useFetch, useTitle } from "../hooks";

const TYPES: Record<string, string> = {
  pageview: "Visits a page",
  event: "Sends a custom event",
  duration: "Stays at least (seconds)",
  pages_per_session: "Views at least (pages)",
};
const MATCHES: Record<string, string> = {
  equals: "is",
  contains: "contains",
  starts_with: "starts with",
  ends_with: "ends with",
  regex: "matches the regex",
};
const VALIDATE_AFTER_MS = 300;

interface Report {
  data: { name: string; conversions: number; conversion_rate: number; total_value: number }[];
}

export function describeGoal(goal: Goal): string {
  if (goal.type === "duration") return `A visit lasts at least ${duration(Number(goal.match_value))}`;
  if (goal.type === "pages_per_session") return `A visit views at least ${goal.match_value} pages`;
  const what = goal.type === "event" ? "Event" : "Page";
  return `${what} ${MATCHES[goal.match_type ?? "equals"] ?? goal.match_type} ${goal.match_value}`;
}

interface Draft {
  name: string;
  type: string;
  match_type: string;
  match_value: string;
  threshold: string;
  value: string;
}

const EMPTY: Draft = { name: "", type: "pageview", match_type: "equals", match_value: "", threshold: "", value: "" };

function body(draft: Draft): Record<string, unknown> {
  const hit = draft.type === "pageview" || draft.type === "event";
  const out: Record<string, unknown> = { name: draft.name.trim(), type: draft.type };
  if (hit) {
    out.match_type = draft.match_type;
    out.match_value = draft.match_value;
  } else {
    out.threshold = draft.threshold === "" ? null : Number(draft.threshold);
  }
  if (draft.value.trim() !== "") out.value = Number(draft.value);
  return out;
}

function GoalForm({ site, onCreated }: { site: Site; onCreated: () => void }) {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [live, setLive] = useState<Record<string, string[]>>({});
  const [checking, setChecking] = useState(false);
  const create = useAction(async () => {
    await api("POST", `/api/sites/${site.id}/goals`, body(draft));
    setDraft(EMPTY);
    setTouched(new Set());
    setLive({});
    onCreated();
  });
  const edit = (field: keyof Draft, value: string) => {
    setDraft((d) => ({ ...d, [field]: value }));
    setTouched((t) => new Set(t).add(field === "threshold" ? "threshold" : field));
  };

  // Ask the server about the draft shortly after each change, as the person types.
  const latest = useRef(0);
  useEffect(() => {
    if (touched.size === 0) return;
    const ticket = ++latest.current;
    setChecking(true);
    const timer = window.setTimeout(async () => {
      let errors: Record<string, string[]> = {};
      try {
        await api("POST", `/api/sites/${site.id}/goals/validate`, body(draft));
      } catch (error) {
        if (error instanceof ApiError && error.status === 422) errors = error.fields;
      }
      if (ticket === latest.current) {
        setLive(errors);
        setChecking(false);
      }
    }, VALIDATE_AFTER_MS);
    return () => window.clearTimeout(timer);
  }, [draft, touched.size, site.id]);

  const shown = (field: string): string[] | undefined => {
    if (create.fields[field]) return create.fields[field];
    return touched.has(field) ? live[field] : undefined;
  };
  const hit = draft.type === "pageview" || draft.type === "event";
  const submit = (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    create.run();
  };
  return (
    <form class="form goal-form" onSubmit={submit} aria-labelledby="new-goal-heading">
      <h2 id="new-goal-heading">New goal</h2>
      <Field label="Name" errors={shown("name")}>
        {(id) => <input id={id} required value={draft.name} onInput={(e) => edit("name", e.currentTarget.value)} />}
      </Field>
      <Field label="Converts when a visitor" errors={shown("type")}>
        {(id) => (
          <select id={id} value={draft.type} onChange={(e) => edit("type", e.currentTarget.value)}>
            {Object.entries(TYPES).map(([key, label]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </select>
        )}
      </Field>
      {hit ? (
        <div class="row">
          <Field label="Match" errors={shown("match_type")}>
            {(id) => (
              <select id={id} value={draft.match_type} onChange={(e) => edit("match_type", e.currentTarget.value)}>
                {Object.entries(MATCHES).map(([key, label]) => (
                  <option key={key} value={key}>
                    {label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label={draft.type === "event" ? "Event name" : "Page path"}
            hint={draft.match_type === "regex" ? "RE2 syntax, searched anywhere unless anchored with ^ and $." : undefined}
            errors={shown("match_value")}
          >
            {(id, describedBy) => (
              <input
                id={id}
                aria-describedby={describedBy}
                required
                spellcheck={false}
                placeholder={draft.type === "event" ? "Signup" : "/thank-you"}
                value={draft.match_value}
                onInput={(e) => edit("match_value", e.currentTarget.value)}
              />
            )}
          </Field>
        </div>
      ) : (
        <Field label={draft.type === "duration" ? "Seconds" : "Pages"} errors={shown("threshold")}>
          {(id) => (
            <input
              id={id}
              type="number"
              min={1}
              required
              value={draft.threshold}
              onInput={(e) => edit("threshold", e.currentTarget.value)}
            />
          )}
        </Field>
      )}
      <Field label="Value of a conversion (optional)" errors={shown("value")}>
        {(id) => (
          <input id={id} type="number" step="any" value={draft.value} onInput={(e) => edit("value", e.currentTarget.value)} />
        )}
      </Field>
      <p class="hint" aria-live="polite">
        {checking ? "Checking…" : touched.size && Object.keys(live).length === 0 ? "Looks good." : "\u00a0"}
      </p>
      {create.error && !Object.keys(create.fields).length && <ErrorNote message={create.error} />}
      <button type="submit" class="button primary" disabled={create.busy}>
        {create.busy ? "Creating…" : "Create goal"}
      </button>
    </form>
  );
}

export function GoalsView({ site }: { site: Site }) {
  useTitle(`${site.name}: goals`);
  const { data, error, reload } = useFetch<{ goals: Goal[] }>(`/api/sites/${site.id}/goals`);
  const report = useFetch<Report>(`/api/sites/${site.id}/analytics/goals?period=30d`);
  const [created, setCreated] = useState(false);
  const remove = useAction(async (goal: Goal) => {
    await api("DELETE", `/api/sites/${site.id}/goals/${goal.id}`);
    reload();
    report.reload();
  });
  const byName = new Map((report.data?.data ?? []).map((r) => [r.name, r]));
  return (
    <div class="goals">
      <section class="card" aria-labelledby="goals-heading">
        <h2 id="goals-heading">Goals</h2>
        <p class="hint">Conversions over the last 30 days ({site.timezone}), counted from each goal's creation.</p>
        {remove.error && <ErrorNote message={remove.error} />}
        {error ? (
          <ErrorNote message={error} retry={reload} />
        ) : !data ? (
          <Loading />
        ) : data.goals.length === 0 ? (
          <Empty>No goals yet. A goal counts the visits that reach a page, send an event, or stay long enough.</Empty>
        ) : (
          <div class="table-wrap">
            <table class="list">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Converts when</th>
                  <th scope="col" class="num">
                    Conversions
                  </th>
                  <th scope="col" class="num">
                    Rate
                  </th>
                  <th scope="col">Created ({site.timezone})</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.goals.map((goal) => {
                  const stats = byName.get(goal.name);
                  return (
                    <tr key={goal.id} data-goal={goal.name}>
                      <td>{goal.name}</td>
                      <td class="wrap">{describeGoal(goal)}</td>
                      <td class="num conversions" data-label="Conversions, 30 days">{stats ? compact(stats.conversions) : "–"}</td>
                      <td class="num" data-label="Rate">{stats ? percent(stats.conversion_rate) : "–"}</td>
                      <td data-label={`Created (${site.timezone})`}>{instant(goal.created_at, site.timezone)}</td>
                      <td class="end">
                        <ConfirmButton
                          label="Delete"
                          title={`Delete the goal ${goal.name}?`}
                          action={() => remove.run(goal)}
                        >
                          <p>Its conversions are no longer reported. The pageviews and events stay.</p>
                        </ConfirmButton>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="card">
        {created && <Notice kind="ok">Goal created. It counts conversions from now on.</Notice>}
        <GoalForm
          site={site}
          onCreated={() => {
            setCreated(true);
            reload();
            report.reload();
          }}
        />
      </section>
    </div>
  );
}
