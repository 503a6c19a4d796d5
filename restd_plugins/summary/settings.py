"""The summary plugin's ini settings (``restd_core.assembly.settings``' way)."""
from __future__ import annotations

from dataclasses import dataclass

from restd_core.plugin_api.web import SettingError, attribute_name, setting

#: Label names the pool gauges use themselves: a machine label cannot be one.
GAUGE_LABELS = frozenset({"schedd", "owner", "state", "resource", "claim", "daemon", "name"})


@dataclass(frozen=True)
class SummarySettings:
    gauges_ttl: float = setting(
        "restd.summary.gauges.ttl", 30.0, "seconds the pool gauges of `/metrics` (jobs, slots, daemon health) are "
        "reused: the pool is asked at most once per this time however many scrapers come (0: no pool gauges)", minimum=0)
    gauges_timeout: float = setting(
        "restd.summary.gauges.timeout", 5.0, "seconds each daemon has to answer for the pool gauges (past it its "
        "gauges are left out until the next time and `restd_pool_up` says so)", minimum=0.001)
    gauges_label: str | None = setting(
        "restd.summary.gauges.label", None, "a machine attribute (`clientgroup`) by whose values the slot gauges "
        "are also labelled (its lower-cased name is the label's)")
    gauges_max_label_values: int = setting(
        "restd.summary.gauges.max_label_values", 50, "values each label of the pool gauges (schedd, owner, a "
        "slot's state, the machine label) takes at most: the largest, the rest summed under `other`; the daemon "
        "health gauges label at most this many daemons of each type, the worst first", minimum=1)

    def __post_init__(self) -> None:
        label = self.gauges_label
        if label is not None and (not attribute_name.match_object.fullmatch(label) or label.lower() in GAUGE_LABELS):
            raise SettingError(f"setting restd.summary.gauges.label must be a ClassAd attribute name other than "
                               f"{', '.join(sorted(GAUGE_LABELS))}, not {label!r}")
