"""Webhooks: endpoints, the events outbox and deliveries signed per Standard Webhooks."""
