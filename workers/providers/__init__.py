"""Provider adapters: one small protocol every social network implements."""
