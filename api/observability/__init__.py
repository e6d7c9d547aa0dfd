"""What operators watch: Prometheus metrics (``metrics``) and their exposition (``exposition``)."""
