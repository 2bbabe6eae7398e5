"""The operator process: configuration, kopf settings and the run loop."""
