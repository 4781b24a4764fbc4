"""The ticket page and its actions (docs/workspace/ticket.md): `page` renders it, `actions` posts through the services,
`forms` holds the input types."""
