// The app: who is signed in, the page frame, and which view the URL names.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, errorText, hasSession, whenSignedOut, type User } from "./api";
import { ErrorNote, Loading } from "./components/ui";
import { match, navigate, useLocation } from "./router";
import { SessionContext, signOut, useSession } from "./session";
import { InvitationView } from "./views/Invitation";
import { LoginView } from "./views/Login";
import { NewSiteView, SitesView } from "./views/Sites";
import { SiteFrame } from "./views/SiteFrame";
import { TokensView } from "./views/Tokens";

/** Paths that need no session. */
const PUBLIC = ["/login", "/invitations/:token"];

function loginUrl(): string {
  const here = window.location.pathname + window.location.search;
  return here === "/" || here.startsWith("/login") ? "/login" : `/login?next=${encodeURIComponent(here)}`;
}

function Frame({ children }: { children: ComponentChildren }) {
  const { user, setUser } = useSession();
  const location = useLocation();
  const current = (prefix: string) => (location.path.startsWith(prefix) ? "page" : undefined);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/sites">
          <span class="logo" aria-hidden="true" />
          Almanac
        </a>
        {user && (
          <nav aria-label="Main">
            <a href="/sites" aria-current={current("/sites")}>
              Sites
            </a>
            <a href="/account/tokens" aria-current={current("/account")}>
              API tokens
            </a>
            <span class="who" title={user.email}>
              {user.name || user.email}
            </span>
            <button type="button" class="button small" onClick={() => signOut(setUser)}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer class="bottom">
        <span>Almanac: privacy-first analytics, on your own server.</span>
        <a href="https://db-ip.com" rel="noopener noreferrer" target="_blank">
          IP geolocation by DB-IP
        </a>
        <a href="/docs" target="_blank" rel="noopener">
          API documentation
        </a>
      </footer>
    </>
  );
}

function Routes() {
  const { path } = useLocation();
  const { user } = useSession();
  const isPublic = PUBLIC.some((pattern) => match(pattern, path));
  useEffect(() => {
    if (!user && !isPublic) navigate(loginUrl(), { replace: true });
    if (path === "/") navigate("/sites", { replace: true });
  }, [user, isPublic, path]);
  // Move focus to the page on a new view, so keyboard and screen reader users start there (not on
  // the first load, which starts at the top like any page, with its skip link).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (document.activeElement === document.body || document.activeElement?.closest("header, nav")) {
      document.getElementById("main")?.focus({ preventScroll: true });
    }
  }, [path]);

  let params: Record<string, string> | null;
  if (match("/login", path)) return <LoginView />;
  if ((params = match("/invitations/:token", path))) return <InvitationView token={params.token} />;
  if (!user) return <Loading />;
  if (match("/sites", path)) return <SitesView />;
  if (match("/sites/new", path)) return <NewSiteView />;
  if ((params = match("/sites/:id", path)) || (params = match("/sites/:id/:tab", path))) {
    const id = Number(params.id);
    if (Number.isInteger(id) && id > 0) return <SiteFrame id={id} tab={params.tab ?? "overview"} />;
  }
  if (match("/account/tokens", path)) return <TokensView />;
  return (
    <section class="page narrow">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <a href="/sites">Go to your sites</a>.
      </p>
    </section>
  );
}

export function App() {
  const [user, setUser] = useState<User | null>(null);
  const [checked, setChecked] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const check = () => {
    setProblem(null);
    // The readable CSRF cookie comes and goes with the session: without it, nobody is signed in,
    // and asking the server would only log a 401 in the console.
    if (!hasSession()) {
      setChecked(true);
      return;
    }
    api<{ user: User }>("GET", "/api/user").then(
      (answer) => {
        setUser(answer.user);
        setChecked(true);
      },
      (error) => {
        if (error instanceof ApiError && error.status === 401) setChecked(true);
        else setProblem(errorText(error));
      },
    );
  };
  useEffect(() => {
    whenSignedOut(() => {
      setUser(null);
      if (!PUBLIC.some((pattern) => match(pattern, window.location.pathname))) navigate(loginUrl(), { replace: true });
    });
    check();
  }, []);

  return (
    <SessionContext.Provider value={{ user, setUser }}>
      <Frame>{problem ? <ErrorNote message={problem} retry={check} /> : checked ? <Routes /> : <Loading />}</Frame>
    </SessionContext.Provider>
  );
}
