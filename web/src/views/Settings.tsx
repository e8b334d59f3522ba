// A site's settings: name, domain, time zone, tracking on or off, its tracking code, and deleting it.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type Site } from "../api";
import { ConfirmButton, ErrorNote, Field, Notice } from "../components/ui";
import { useAction, useTitle } from "../hooks";
import { navigate } from "../router";
import { TimeZoneSelect } from "./Sites";
import { TrackingCode } from "./Setup";

export function SettingsView({ site, onSaved }: { site: Site; onSaved: () => void }) {
  useTitle(`${site.name}: settings`);
  const [name, setName] = useState(site.name);
  const [domain, setDomain] = useState(site.domain);
  const [timezone, setTimezone] = useState(site.timezone);
  const [tracking, setTracking] = useState(site.tracking_enabled);
  const [saved, setSaved] = useState(false);
  const save = useAction(async () => {
    setSaved(false);
    await api("PUT", `/api/sites/${site.id}`, { name, domain, timezone, tracking_enabled: tracking });
    setSaved(true);
    onSaved();
  });
  const remove = useAction(async () => {
    await api("DELETE", `/api/sites/${site.id}`);
    navigate("/sites");
  });
  const submit = (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    save.run();
  };
  return (
    <div class="settings">
      <form class="card form" onSubmit={submit} aria-labelledby="settings-heading">
        <h2 id="settings-heading">Site settings</h2>
        <Field label="Name" errors={save.fields.name}>
          {(id) => <input id={id} required value={name} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field label="Domain" errors={save.fields.domain}>
          {(id) => (
            <input id={id} required spellcheck={false} value={domain} onInput={(e) => setDomain(e.currentTarget.value)} />
          )}
        </Field>
        <Field label="Time zone" hint="Reports count days and hours in this time zone." errors={save.fields.timezone}>
          {(id, describedBy) => (
            <span aria-describedby={describedBy}>
              <TimeZoneSelect id={id} value={timezone} onChange={setTimezone} />
            </span>
          )}
        </Field>
        <label class="switch">
          <input type="checkbox" checked={tracking} onChange={(e) => setTracking(e.currentTarget.checked)} />
          <span>
            Tracking enabled
            <span class="hint"> — when off, the site's pageviews and events are not recorded.</span>
          </span>
        </label>
        {save.error && <ErrorNote message={save.error} />}
        {saved && <Notice kind="ok">Saved.</Notice>}
        <div class="actions">
          <button type="submit" class="button primary" disabled={save.busy}>
            {save.busy ? "Saving…" : "Save"}
          </button>
        </div>
      </form>
      <section class="card" aria-labelledby="code-heading">
        <h2 id="code-heading">Tracking code</h2>
        <TrackingCode site={site} />
        <p>
          <a href={`/sites/${site.id}/setup`}>Check that pageviews arrive</a>
        </p>
      </section>
      <section class="card danger-zone" aria-labelledby="delete-heading">
        <h2 id="delete-heading">Delete this site</h2>
        <p>Deleting removes the site, its team and every pageview and event it recorded. This cannot be undone.</p>
        {remove.error && <ErrorNote message={remove.error} />}
        <ConfirmButton
          label="Delete site"
          title={`Delete ${site.name}?`}
          confirmText={site.domain}
          confirmLabel="Delete forever"
          class="button danger"
          action={() => remove.run()}
        >
          <p>All of its data will be deleted at once.</p>
        </ConfirmButton>
      </section>
    </div>
  );
}
