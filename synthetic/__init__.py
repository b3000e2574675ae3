"""Deterministic synthetic source drops (Stripe, application database, Zendesk, FX) and their
ground truth, for demos and end-to-end tests of the warehouse."""

from synthetic.generator import SOURCES, TABLES, GenerationSummary, generate_drops

__all__ = ["SOURCES", "TABLES", "GenerationSummary", "generate_drops"]
