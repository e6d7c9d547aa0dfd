"""Background work: RQ queues, jobs and (later) provider adapters."""
