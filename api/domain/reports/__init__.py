"""Business-outcome reports: set-based SQL over metric points, with their inputs shown."""
