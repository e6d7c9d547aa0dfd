"""Clover's domain: models and use cases. Knows nothing of Flask, HTTP or JSON."""
