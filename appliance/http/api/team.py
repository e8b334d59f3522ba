"""Spec 000 team management, and the invitations that bring people onto a team.

Nothing sends email yet: inviting answers with the token, once, and the dashboard path
that accepts it (`accept_path`); the owner passes that link on to the invitee.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import FromPath, JSONBody

from appliance.clock import iso
from appliance.config import Config
from appliance.errors import Unauthenticated
from appliance.http.api.accounts import session_cookies
from appliance.http.api.schemas import UserOut
from appliance.http.auth import (
    CallerDep,
    Db,
    OptionalCallerDep,
    SiteDep,
    bearer_token,
    provide_caller,
    provide_optional_caller,
    provide_site,
)
from appliance.sites import team
from appliance.sites.models import Invitation, Member


class InviteBody(msgspec.Struct, kw_only=True):
    email: str = ""
    role: str = ""


class RoleBody(msgspec.Struct, kw_only=True):
    role: str = ""


class AcceptBody(msgspec.Struct, frozen=True, kw_only=True):
    """Only for someone without an account: the name and password of the one to create, and, as
    for POST /login, `remember` to be signed in with the dashboard's cookie session instead of
    receiving an API token."""

    name: str = ""
    password: str = ""
    remember: bool = False


# A signed-in invitee may send no body at all.
SIGNED_IN = AcceptBody()


class MemberOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    email: str
    role: str

    @classmethod
    def of(cls, member: Member) -> MemberOut:
        return cls(id=member.id, name=member.name, email=member.email, role=member.role)


class InvitationOut(msgspec.Struct, kw_only=True):
    id: int
    email: str
    role: str
    expires_at: str | None

    @classmethod
    def of(cls, invitation: Invitation) -> InvitationOut:
        return cls(
            id=invitation.id,
            email=invitation.email,
            role=invitation.role,
            expires_at=iso(invitation.expires_at),
        )


class TeamOut(msgspec.Struct, kw_only=True):
    members: list[MemberOut]
    pending_invitations: list[InvitationOut]


class MemberEnvelope(msgspec.Struct, kw_only=True):
    member: MemberOut


class InviteOut(msgspec.Struct, kw_only=True):
    """The token is in this answer only: it is stored as a hash."""

    invitation: InvitationOut
    token: str
    accept_path: str


class InvitationPreviewOut(msgspec.Struct, kw_only=True):
    site_id: int
    site_name: str
    site_domain: str
    email: str
    role: str
    expires_at: str | None
    account_exists: bool


class InvitationPreviewEnvelope(msgspec.Struct, kw_only=True):
    invitation: InvitationPreviewOut


class AcceptOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """`token_type` only when accepting created the account, as POST /login answers: `Bearer` with
    its `token`, or `Cookie` with the session's `csrf_token` (the session itself is a cookie)."""

    site_id: int
    role: str
    user: UserOut
    token: str | None = None
    token_type: str | None = None
    csrf_token: str | None = None


class TeamController(Controller):
    path = "/sites/{id:int}/team"
    tags = ["Team"]
    dependencies = {"caller": Provide(provide_caller), "site": Provide(provide_site)}

    @get("/", opt={"role": "viewer"}, summary="The site's members and pending invitations")
    async def list_team(self, site: SiteDep, db: Db) -> TeamOut:
        found = await team.team(db, site.site.id)
        return TeamOut(
            members=[MemberOut.of(m) for m in found.members],
            pending_invitations=[InvitationOut.of(i) for i in found.invitations],
        )

    @post(
        "/invite",
        status_code=201,
        opt={"role": "owner"},
        summary="Invite someone by email; the token that accepts it is shown in this answer only",
        description="No email is sent: pass `accept_path` (or the token) on to the invitee. "
        "Inviting the same email again replaces the earlier invitation.",
    )
    async def invite(
        self, site: SiteDep, caller: CallerDep, db: Db, state: State, data: JSONBody[InviteBody]
    ) -> InviteOut:
        config: Config = state.config
        new = await team.invite(
            db, site.site.id, caller.user, data.email, data.role, days=config.auth.invitation_days
        )
        return InviteOut(
            invitation=InvitationOut.of(new.invitation),
            token=new.token,
            accept_path=f"/invitations/{new.token}",
        )

    @put("/{user_id:int}", opt={"role": "owner"}, summary="Change a member's role")
    async def change_role(
        self, site: SiteDep, db: Db, user_id: FromPath[int], data: JSONBody[RoleBody]
    ) -> MemberEnvelope:
        return MemberEnvelope(
            member=MemberOut.of(await team.change_role(db, site.site.id, user_id, data.role))
        )

    @delete("/{user_id:int}", status_code=204, opt={"role": "owner"}, summary="Remove a member from the site")
    async def remove_member(self, site: SiteDep, db: Db, user_id: FromPath[int]) -> None:
        await team.remove_member(db, site.site.id, user_id)

    @delete(
        "/invitations/{invitation_id:int}",
        status_code=204,
        opt={"role": "owner"},
        summary="Cancel a pending invitation",
    )
    async def cancel_invitation(self, site: SiteDep, db: Db, invitation_id: FromPath[int]) -> None:
        await team.cancel_invitation(db, site.site.id, invitation_id)


class InvitationsController(Controller):
    """Public: the token in the path is the credential."""

    path = "/invitations"
    tags = ["Team"]
    dependencies = {"caller": Provide(provide_optional_caller)}

    @get("/{token:str}", summary="What an invitation is for, before accepting it")
    async def show_invitation(self, db: Db, token: FromPath[str]) -> InvitationPreviewEnvelope:
        found = await team.preview_invitation(db, token)
        return InvitationPreviewEnvelope(
            invitation=InvitationPreviewOut(
                site_id=found.site_id,
                site_name=found.site_name,
                site_domain=found.site_domain,
                email=found.email,
                role=found.role,
                expires_at=iso(found.expires_at),
                account_exists=found.account_exists,
            )
        )

    @post(
        "/{token:str}/accept",
        status_code=200,
        summary="Accept an invitation, signed in as the invited email or by creating that account",
        description="Signed in (Bearer or cookie): joins the site. Anonymous: send `name` and `password` "
        "to create the account with the invited email, and it is signed in as POST /login does: with "
        '`"remember": true` (the dashboard), by the HttpOnly session cookie and the `csrf_token`; '
        "otherwise the answer carries an API token. "
        "A signed-in caller with another email gets 403; an existing member keeps the higher role.",
    )
    async def accept(
        self,
        request: Request[Any, Any, Any],
        caller: OptionalCallerDep,
        db: Db,
        state: State,
        token: FromPath[str],
        data: JSONBody[AcceptBody] = SIGNED_IN,
    ) -> Response[AcceptOut]:
        # A token that does not work is refused, not taken for "anonymous, please sign up".
        if caller is None and bearer_token(request):
            raise Unauthenticated()
        config: Config = state.config
        accepted = await team.accept_invitation(
            db,
            token,
            caller.user if caller else None,
            name=data.name,
            password=data.password,
            session_days=config.auth.session_days if data.remember else None,
        )
        answer = AcceptOut(site_id=accepted.site_id, role=accepted.role, user=UserOut.of(accepted.user))
        if accepted.session is not None:
            answer.token_type, answer.csrf_token = "Cookie", accepted.session.csrf_token
            return Response(answer, cookies=session_cookies(request, state, accepted.session))
        if accepted.token is not None:
            answer.token_type, answer.token = "Bearer", accepted.token.token
        return Response(answer)
