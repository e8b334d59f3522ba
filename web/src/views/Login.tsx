// Sign in with email and password: the server sets the HttpOnly session cookie.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, type User } from "../api";
import { ErrorNote, Field } from "../components/ui";
import { useAction, useTitle } from "../hooks";
import { navigate, useLocation } from "../router";
import { useSession } from "../session";

/** Only an in-app path may follow a sign-in (never another origin). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/sites";
  return next;
}

export function LoginView() {
  useTitle("Sign in");
  const { user, setUser } = useSession();
  const { query } = useLocation();
  const next = safeNext(query.get("next"));
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { run, busy, error, fields } = useAction(async () => {
    const answer = await api<{ user: User }>("POST", "/api/login", { email, password, remember: true });
    setUser(answer.user);
    navigate(next, { replace: true });
  });
  useEffect(() => {
    if (user) navigate(next, { replace: true });
  }, [user]);
  const submit = (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    run();
  };
  return (
    <section class="page narrow login">
      <h1>Sign in to Almanac</h1>
      <form onSubmit={submit} class="card form">
        <Field label="Email" errors={fields.email}>
          {(id) => (
            <input
              id={id}
              type="email"
              name="email"
              autoComplete="username"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="Password" errors={fields.password}>
          {(id) => (
            <input
              id={id}
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        {error && <ErrorNote message={error} />}
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p class="hint">
        No account? Ask the person who runs this Almanac for an invitation, or create one with{" "}
        <code>almanac user create</code>.
      </p>
    </section>
  );
}
