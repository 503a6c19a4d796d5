# Sourced by serve.sh and test.sh: point CONDOR_CONFIG at a pool.
# A machine that already has a pool configured (CONDOR_CONFIG set, or
# /etc/condor/condor_config from an HTCondor install) keeps it; otherwise
# the project's own single-node pool (pool/pool.sh, needs root) is started.
if [ -n "${CONDOR_CONFIG:-}" ] || [ -f /etc/condor/condor_config ]; then
    echo "using the configured HTCondor pool (${CONDOR_CONFIG:-/etc/condor/condor_config})" >&2
    RESTD_OWN_POOL=0
else
    "$(dirname "${BASH_SOURCE[0]}")/../pool/pool.sh" start
    eval "$("$(dirname "${BASH_SOURCE[0]}")/../pool/pool.sh" env)"
    RESTD_OWN_POOL=1
fi
export RESTD_OWN_POOL
