// The user's API tokens: create one (shown once, never stored by the dashboard), list, revoke.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type ApiToken } from "../api";
import { CodeBlock, ConfirmButton, Empty, ErrorNote, Field, Loading, Notice } from "../components/ui";
import { browserTimeZone, instant } from "../format";
import { useAction, useFetch, useTitle } from "../hooks";

export function TokensView() {
  useTitle("API tokens");
  const zone = browserTimeZone();
  const { data, error, reload } = useFetch<{ tokens: ApiToken[] }>("/api/user/tokens");
  const [name, setName] = useState("");
  // The new token lives only in this component's state: gone when the person leaves the page.
  const [fresh, setFresh] = useState<ApiToken | null>(null);
  const create = useAction(async () => {
    const token = await api<ApiToken>("POST", "/api/user/tokens", { name: name.trim() || "API token" });
    setFresh(token);
    setName("");
    reload();
  });
  const revoke = useAction(async (token: ApiToken) => {
    await api("DELETE", `/api/user/tokens/${token.id}`);
    if (fresh?.id === token.id) setFresh(null);
    reload();
  });
  const submit = (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    create.run();
  };
  return (
    <section class="page narrow">
      <h1>API tokens</h1>
      <p>
        Scripts use a token as <code>Authorization: Bearer …</code> with the <a href="/docs">HTTP APIs</a>. A token acts
        as you on every site you can see.
      </p>
      <form class="card form inline" onSubmit={submit}>
        <Field label="Name of the new token" hint="Where it is used, such as “reporting script”." errors={create.fields.name}>
          {(id, describedBy) => (
            <input id={id} aria-describedby={describedBy} value={name} maxLength={100} onInput={(e) => setName(e.currentTarget.value)} />
          )}
        </Field>
        <button type="submit" class="button primary" disabled={create.busy}>
          {create.busy ? "Creating…" : "Create token"}
        </button>
      </form>
      {create.error && <ErrorNote message={create.error} />}
      {fresh?.token && (
        <Notice kind="ok">
          <p>
            <strong>Copy the token now.</strong> It is shown only once; Almanac keeps only a hash of it.
          </p>
          <CodeBlock code={fresh.token} label="New API token" />
          <button type="button" class="button small" onClick={() => setFresh(null)}>
            Done, hide it
          </button>
        </Notice>
      )}
      <section class="card" aria-labelledby="tokens-heading">
        <h2 id="tokens-heading">Your tokens</h2>
        {revoke.error && <ErrorNote message={revoke.error} />}
        {error ? (
          <ErrorNote message={error} retry={reload} />
        ) : !data ? (
          <Loading />
        ) : data.tokens.length === 0 ? (
          <Empty>No tokens yet.</Empty>
        ) : (
          <div class="table-wrap">
            <table class="list">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Starts with</th>
                  <th scope="col">Created ({zone})</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.tokens.map((token) => (
                  <tr key={token.id}>
                    <td>{token.name}</td>
                    <td>
                      <code>{token.prefix}…</code>
                    </td>
                    <td data-label={`Created (${zone})`}>{instant(token.created_at, zone)}</td>
                    <td class="end">
                      <ConfirmButton
                        label="Revoke"
                        title={`Revoke the token ${token.name}?`}
                        action={() => revoke.run(token)}
                      >
                        <p>Scripts that use it stop working at once.</p>
                      </ConfirmButton>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </section>
  );
}
