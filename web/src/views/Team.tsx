// A site's team: members and their roles, inviting someone (the accept link is shown once), pending
// invitations, and removing people. Only owners may change the team; others see it.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type Invitation, type Member, type Site } from "../api";
import { CodeBlock, ConfirmButton, Empty, ErrorNote, Field, Loading, Notice } from "../components/ui";
import { instant } from "../format";
import { useAction, useFetch, useTitle } from "../hooks";
import { useSession } from "../session";

const ROLES = ["viewer", "admin", "owner"];
const ROLE_HINT: Record<string, string> = {
  viewer: "sees the numbers",
  admin: "also changes settings and goals",
  owner: "also manages the team and may delete the site",
};

interface Team {
  members: Member[];
  pending_invitations: Invitation[];
}

function RoleSelect({ member, site, onDone }: { member: Member; site: Site; onDone: () => void }) {
  const change = useAction(async (role: string) => {
    await api("PUT", `/api/sites/${site.id}/team/${member.id}`, { role });
    onDone();
  });
  return (
    <>
      <select
        aria-label={`Role of ${member.name || member.email}`}
        value={member.role}
        disabled={change.busy}
        onChange={(e) => change.run(e.currentTarget.value)}
      >
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      {change.error && <span class="error-text"> {change.error}</span>}
    </>
  );
}

export function TeamView({ site }: { site: Site }) {
  useTitle(`${site.name}: team`);
  const { user } = useSession();
  const { data, error, reload } = useFetch<Team>(`/api/sites/${site.id}/team`);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("viewer");
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const invite = useAction(async () => {
    const answer = await api<{ invitation: Invitation; accept_path: string }>("POST", `/api/sites/${site.id}/team/invite`, {
      email,
      role,
    });
    setLink({ email: answer.invitation.email, url: `${window.location.origin}${answer.accept_path}` });
    setEmail("");
    reload();
  });
  const removal = useAction(async (path: string) => {
    await api("DELETE", path);
    reload();
  });
  if (error) return <ErrorNote message={error} retry={reload} />;
  if (!data) return <Loading />;
  const mine = data.members.find((m) => m.id === user?.id)?.role;
  const owner = mine === "owner" || !!user?.is_admin;
  const submit = (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    invite.run();
  };
  return (
    <div class="team">
      <section class="card" aria-labelledby="members-heading">
        <h2 id="members-heading">Members</h2>
        {removal.error && <ErrorNote message={removal.error} />}
        <div class="table-wrap">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                {owner && (
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {data.members.map((m) => (
                <tr key={m.id}>
                  <td>
                    {m.name || m.email}
                    {m.id === user?.id && <span class="badge">you</span>}
                  </td>
                  <td>{m.email}</td>
                  <td>{owner ? <RoleSelect member={m} site={site} onDone={reload} /> : m.role}</td>
                  {owner && (
                    <td class="end">
                      <ConfirmButton
                        label="Remove"
                        title={`Remove ${m.name || m.email} from ${site.name}?`}
                        action={() => removal.run(`/api/sites/${site.id}/team/${m.id}`)}
                      >
                        <p>They will no longer see this site. Their account stays.</p>
                      </ConfirmButton>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section class="card" aria-labelledby="pending-heading">
        <h2 id="pending-heading">Pending invitations</h2>
        {data.pending_invitations.length === 0 ? (
          <Empty>No pending invitations.</Empty>
        ) : (
          <div class="table-wrap">
            <table class="list">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Expires ({site.timezone})</th>
                  {owner && (
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {data.pending_invitations.map((i) => (
                  <tr key={i.id}>
                    <td>{i.email}</td>
                    <td data-label="Role">{i.role}</td>
                    <td data-label={`Expires (${site.timezone})`}>{instant(i.expires_at, site.timezone)}</td>
                    {owner && (
                      <td class="end">
                        <ConfirmButton
                          label="Cancel"
                          title={`Cancel the invitation of ${i.email}?`}
                          confirmLabel="Cancel invitation"
                          action={() => removal.run(`/api/sites/${site.id}/team/invitations/${i.id}`)}
                        />
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {owner && (
        <section class="card" aria-labelledby="invite-heading">
          <h2 id="invite-heading">Invite someone</h2>
          <form class="form inline" onSubmit={submit}>
            <Field label="Email" errors={invite.fields.email}>
              {(id) => (
                <input id={id} type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
              )}
            </Field>
            <Field label="Role" hint={ROLE_HINT[role]} errors={invite.fields.role}>
              {(id, describedBy) => (
                <select id={id} aria-describedby={describedBy} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <button type="submit" class="button primary" disabled={invite.busy}>
              {invite.busy ? "Inviting…" : "Invite"}
            </button>
          </form>
          {invite.error && <ErrorNote message={invite.error} />}
          {link && (
            <Notice kind="ok">
              <p>
                Almanac sends no email: give <strong>{link.email}</strong> this link. It is shown only now.
              </p>
              <CodeBlock code={link.url} label="Invitation link" />
            </Notice>
          )}
        </section>
      )}
    </div>
  );
}
