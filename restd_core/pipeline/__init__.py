"""The request pipeline: what every request crosses before and after a
plugin's view (the URL guard, request ids and the access log, CORS, the
security policy, per-caller limits, the response cache and its
validators, the JSON error answers, large answers lent to the server)."""
