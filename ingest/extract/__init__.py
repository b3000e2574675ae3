"""Extractors of live sources: each reads a system (PostgreSQL, the Stripe API, the Zendesk API) and
writes a drop exactly like the files the warehouse already ingests, completely or not at all."""
