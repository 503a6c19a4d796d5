"""A condor-restd endpoint plugin: the pool's submitters (``GET
/v1/submitters``), from the collector's Submitter ads. The complete example
of docs/plugins.md."""
