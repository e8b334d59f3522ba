// A first, minimal dashboard: sign in, list sites. Everything shown is set as text, never as HTML.
import { api, ApiError } from "./api";

interface User { id: number; name: string; email: string }
interface Site { id: number; name: string; domain: string; sid: string; timezone: string }

const root = document.getElementById("app") as HTMLElement;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, attrs: Record<string, string> = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

function showLogin(problem?: string): void {
  const form = el("form", undefined, { "aria-label": "Sign in" });
  const email = el("input", undefined, { type: "email", name: "email", required: "", autocomplete: "username" });
  const password = el("input", undefined, { type: "password", name: "password", required: "",
    autocomplete: "current-password" });
  const emailLabel = el("label", "Email ");
  emailLabel.append(email);
  const passwordLabel = el("label", "Password ");
  passwordLabel.append(password);
  form.append(el("h1", "Sign in to Almanac"), emailLabel, passwordLabel, el("button", "Sign in", { type: "submit" }));
  if (problem) form.append(el("p", problem, { role: "alert" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", "/api/login", { email: email.value, password: password.value, remember: true });
      await showSites();
    } catch (error) {
      showLogin(error instanceof Error ? error.message : String(error));
    }
  });
  root.replaceChildren(form);
}

async function showSites(): Promise<void> {
  const { user } = await api<{ user: User }>("GET", "/api/user");
  const { sites } = await api<{ sites: Site[] }>("GET", "/api/sites");
  const list = el("ul");
  for (const site of sites) list.append(el("li", `${site.name} (${site.domain})`));
  const logout = el("button", "Sign out", { type: "button" });
  logout.addEventListener("click", async () => {
    await api("POST", "/api/logout");
    showLogin();
  });
  root.replaceChildren(el("h1", "Sites"), el("p", `Signed in as ${user.email}`), list, logout);
  if (sites.length === 0) root.append(el("p", "No sites yet."));
}

showSites().catch((error) => {
  if (error instanceof ApiError && error.status === 401) showLogin();
  else root.replaceChildren(el("p", `Almanac could not load: ${error instanceof Error ? error.message : error}`));
});
