"""First-party SALAD plugins, registered through the salad.plugins entry-point group."""
