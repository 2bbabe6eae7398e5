"""REST API v2 surfaces of the simulator, one module per group of endpoints."""
