"""Cross-cutting HTTP concerns, built once and used by every resource."""
