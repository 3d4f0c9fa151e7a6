"""Code linked to ideas through git repositories on any host."""
