"""Users, passwords, API tokens and dashboard login sessions."""
