"""Desired-versus-actual logic: plain async functions with injected clients, no kopf."""
