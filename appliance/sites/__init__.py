"""Sites (spec 000) a.k.a. websites (spec 004): one stored object, its members and invitations."""
