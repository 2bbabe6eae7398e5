"""kopf handlers, one module per kind; importing this package registers them all."""
