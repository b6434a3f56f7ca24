"""What the gateway observed: invocation records, execution and access logs, metrics."""
