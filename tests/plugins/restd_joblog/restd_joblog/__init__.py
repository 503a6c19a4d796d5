"""A condor-restd endpoint plugin: a schedd's job history, listed
(``GET /v1/joblog/{schedd}``) and counted by an attribute (``GET
/v1/joblog_counts/{schedd}``). The complete example of docs/plugins.md,
written with the toolkit (``restd_core.plugin_api``) only."""
