"""The idle analysis' ini settings (``restd_core.assembly.settings``' way): how
much one answer may analyse, and for how long."""
from __future__ import annotations

from dataclasses import dataclass

from restd_core.plugin_api.web import setting


@dataclass(frozen=True)
class IdleSettings:
    max_groups: int = setting(
        "restd.why.idle.max_groups", 200, "autoclusters of idle jobs one answer analyses at most, the largest "
        "first (for `*`: each schedd's, and the merged answer's); the others are counted in `groups_left_out`",
        minimum=1)
    max_slots: int = setting(
        "restd.why.idle.max_slots", 20_000, "slot ads one analysis reads at most (static and partitionable slots); "
        "the others are counted in `slots_left_out`", minimum=1)
    budget_seconds: float = setting(
        "restd.why.idle.budget_seconds", 8.0, "seconds one analysis may take (never more than half of what is left "
        "of `restd.gateway.timeout`); the slot ads it did not make ready are counted in `slots_left_out`, the "
        "groups it did not reach in `groups_left_out`", minimum=0.01)
    slot_cache_seconds: float = setting(
        "restd.why.idle.slot_cache_seconds", 5.0, "seconds a worker reuses the slot ads it read (and the clauses "
        "it evaluated against them) for its next analysis; 0: read for every one", minimum=0)
