"""Work done once and shared: a value made again at most once per ttl,
and one call per key at a time."""
