"""The archive plugin's ini settings (``restd_core.assembly.settings``' way)."""
from __future__ import annotations

from dataclasses import dataclass

from restd_core.plugin_api.web import SettingError, setting

#: The URL schemes of the archive's two backends.
SCHEMES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class ArchiveSettings:
    url: str | None = setting(
        "restd.archive", None, "where finished jobs are archived: an SQLite file (`sqlite:////var/lib/restd/"
        "archive.sqlite3`, made with its directory if missing) or a PostgreSQL URL (`postgresql://user@host/db`, "
        "which replicas share); unset: no archive (history answers come from the schedds alone)",
        env="RESTD_ARCHIVE")
    interval: float = setting(
        "restd.archive.interval", 60.0, "seconds between two rounds of the ingester, which asks every schedd for "
        "the jobs its history recorded since the last one archived", minimum=0.1)
    keep_days: float = setting(
        "restd.archive.keep_days", 90.0, "days an archived job is kept after it completed (0: for ever)", minimum=0)
    settle: float = setting(
        "restd.archive.settle", 30.0, "seconds after a window's end by which its jobs are taken to be in the "
        "schedds' histories: the archive answers a window once it read them that long after its end", minimum=0)
    backfill: bool = setting(
        "restd.archive.backfill", True, "whether the first read of a schedd takes all the history it has (else only "
        "the jobs recorded from then on: the archive covers that schedd from its first read)")
    batch: int = setting(
        "restd.archive.batch", 200, "whole job ads the ingester asks a schedd for at once (one transaction each)",
        minimum=1)
    max_judged: int = setting(
        "restd.archive.max_judged", 5_000, "archived jobs a history window's constraint may be judged false on "
        "in one call before its page is full (the jobs it holds for cost what a listing of them does), after the "
        "archive's database left out those its comparisons of archived columns rule out (`Owner == \"name\"`...); "
        "past it the window is refused (400: too costly; narrow the window or the constraint)", minimum=1)
    max_scanned: int = setting(
        "restd.archive.max_scanned", 100_000, "the newest archived jobs of a history window that a constraint is "
        "evaluated on at most (the database reads them for its comparisons of archived columns); a page not full "
        "by then is refused (400: too costly; narrow the window)", minimum=1)

    def __post_init__(self) -> None:
        if self.url is not None and self.url.split(":", 1)[0].split("+", 1)[0] not in SCHEMES:
            raise SettingError(f"setting restd.archive must be an sqlite:/// or postgresql:// URL, not "
                               f"{self.url.split(':', 1)[0]!r}")
