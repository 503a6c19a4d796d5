"""The collector ad types and daemon types the gateway can ask for, by the
names the v1 API uses, with the ``htcondor2`` enum member each stands for.

Kept apart from ``bindings`` so that plugins can validate against these
names without importing HTCondor's bindings.
"""
from __future__ import annotations

#: ``query`` of /v1/status -> ``htcondor2.AdTypes`` member (condor_status's query options).
AD_TYPES = {
    "any": "Any",
    "startd": "Startd",
    "schedd": "Schedd",
    "master": "Master",
    "collector": "Collector",
    "negotiator": "Negotiator",
    "submitter": "Submitter",
    "accounting": "Accounting",
    "credd": "Credd",
    "defrag": "Defrag",
    "generic": "Generic",
    "grid": "Grid",
    "had": "HAD",
    "license": "License",
}

#: ``daemon`` of /v1/config -> ``htcondor2.DaemonType`` member.
DAEMON_TYPES = {
    "collector": "Collector",
    "master": "Master",
    "negotiator": "Negotiator",
    "schedd": "Schedd",
    "startd": "Startd",
}

#: Config knobs never served (fnmatch-style, case-insensitive): HTCondor's
#: password, token, key and credential knobs, and the files and directories
#: that hold them. RESTD_HIDE_CONFIG_PARAMS adds to these, never replaces
#: them: a site that hides one more knob must not un-hide every password.
DEFAULT_HIDE_CONFIG_PARAMS = (
    "*PASSWORD*",
    "*PASSWD*",
    "*PASSPHRASE*",
    "*SECRET*",
    "*TOKEN*",
    "*CRED*",
    "*_KEY",
    "*_KEY_*",
    "*KEYFILE*",
    "*CAKEY*",
    "*PRIVKEY*",
    "SEC_*_FILE",
    "SEC_*_DIRECTORY",
)
