// Accepting an invitation: signed in as the invited email, with one click; without an account,
// by choosing a name and password (the answer signs the new account in with the cookie session).
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type User } from "../api";
import { ErrorNote, Field, Loading } from "../components/ui";
import { browserTimeZone, instant } from "../format";
import { useAction, useFetch, useTitle } from "../hooks";
import { navigate } from "../router";
import { signOut, useSession } from "../session";

interface Preview {
  site_id: number;
  site_name: string;
  site_domain: string;
  email: string;
  role: string;
  expires_at: string | null;
  account_exists: boolean;
}

export function InvitationView({ token }: { token: string }) {
  useTitle("Invitation");
  const { user, setUser } = useSession();
  const path = `/api/invitations/${encodeURIComponent(token)}`;
  const { data, error } = useFetch<{ invitation: Preview }>(path);
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const accept = useAction(async () => {
    const invitation = data!.invitation;
    if (user) {
      await api("POST", `${path}/accept`, {});
    } else {
      // remember: the new account is signed in by the answer's session cookie (as /api/login
      // does), so no API token is ever created for the dashboard.
      const answer = await api<{ user: User }>("POST", `${path}/accept`, { name, password, remember: true });
      setUser(answer.user);
    }
    navigate(`/sites/${invitation.site_id}`);
  });
  if (error) {
    return (
      <section class="page narrow">
        <h1>Invitation</h1>
        <ErrorNote message={`${error} The link may have expired, been used or been cancelled: ask for a new one.`} />
      </section>
    );
  }
  if (!data) return <Loading />;
  const invitation = data.invitation;
  const here = `/invitations/${encodeURIComponent(token)}`;
  const submit = (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    accept.run();
  };
  return (
    <section class="page narrow">
      <h1>Join {invitation.site_name}</h1>
      <div class="card">
        <p>
          <strong>{invitation.email}</strong> is invited to see <strong>{invitation.site_domain}</strong> as{" "}
          <strong>{invitation.role}</strong>.
        </p>
        {invitation.expires_at && <p class="hint">The invitation expires on {instant(invitation.expires_at, browserTimeZone())} ({browserTimeZone()}).</p>}
        {user ? (
          user.email.toLowerCase() === invitation.email.toLowerCase() ? (
            <form onSubmit={submit}>
              {accept.error && <ErrorNote message={accept.error} />}
              <button type="submit" class="button primary" disabled={accept.busy}>
                Accept and open the site
              </button>
            </form>
          ) : (
            <>
              <p>
                You are signed in as {user.email}, but the invitation is for {invitation.email}.
              </p>
              <button type="button" class="button" onClick={() => signOut(setUser)}>
                Sign out
              </button>
            </>
          )
        ) : invitation.account_exists ? (
          <p>
            <a class="button primary" href={`/login?next=${encodeURIComponent(here)}`}>
              Sign in as {invitation.email} to accept
            </a>
          </p>
        ) : (
          <form class="form" onSubmit={submit}>
            <p>Create your account to accept:</p>
            <Field label="Your name" errors={accept.fields.name}>
              {(id) => <input id={id} required autoComplete="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />}
            </Field>
            <Field label="Choose a password" hint="At least 8 characters." errors={accept.fields.password}>
              {(id, describedBy) => (
                <input
                  id={id}
                  type="password"
                  required
                  minLength={8}
                  autoComplete="new-password"
                  aria-describedby={describedBy}
                  value={password}
                  onInput={(e) => setPassword(e.currentTarget.value)}
                />
              )}
            </Field>
            {accept.error && <ErrorNote message={accept.error} />}
            <button type="submit" class="button primary" disabled={accept.busy}>
              Create account and join
            </button>
          </form>
        )}
      </div>
    </section>
  );
}
