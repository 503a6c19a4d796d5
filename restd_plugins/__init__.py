"""The plugins condor-restd ships: endpoint plugins (``jobs``, ...) and auth plugins."""
