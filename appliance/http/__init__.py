"""The HTTP surfaces: thin adapters that parse, check permission, call a domain, shape the answer."""
