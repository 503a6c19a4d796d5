"""The one line that names why a group of idle jobs waits, from its
analysis (the slots at each stage, the clauses) and what the negotiator
last said of its jobs. Pure functions on plain data."""
from __future__ import annotations

from collections import Counter
from typing import Any

#: What the negotiator records when it found no slot for a job
#: (``LastRejMatchReason``); any other reason is about who gets the slots.
NO_MATCH = "no match found"

#: Every cause, in the order they are tried.
CAUSES = ("not_idle", "no_slot_matches", "slots_reject_job", "matching_slots_busy", "owner_priority",
          "not_considered_yet")


def cause(slots: dict[str, int], clauses: list[dict[str, Any]], rejections: Counter,
          status: int | None = None) -> dict[str, Any]:
    """``{"code", "text", "clause"}``: the most likely cause (``CAUSES``);
    ``clause`` the clause that rejects the most slots when none matches.
    ``rejections``: the negotiator's last rejection reasons (None: none
    recorded) by how many of the jobs have each; ``status``: a single
    job's JobStatus (None: a group of idle jobs)."""
    if status is not None and status != 1:
        return _said("not_idle", f"the job is not idle (JobStatus {status}); this is how slots would take it")
    total = slots["total"]
    if slots["match_job"] == 0:
        if total == 0:
            return _said("no_slot_matches", "the pool advertises no slots")
        worst = max(clauses, key=lambda clause: clause["rejects"], default=None)
        if worst is None or worst["rejects"] == 0:
            return _said("no_slot_matches", f"none of the {total} slots matches the job's Requirements as a whole")
        alone = "every slot" if worst["rejects"] == total else f"{worst['rejects']} of {total} slots"
        return _said("no_slot_matches", f"no slot matches the job's Requirements: {worst['clause']} rejects {alone}",
                     worst["clause"])
    if slots["accept_job"] == 0:
        return _said("slots_reject_job", f"{slots['match_job']} slots match the job's Requirements, but their own "
                                         "Requirements (START) refuse the job")
    if slots["unclaimed"] == 0:
        drained = slots["if_drained"]
        room = f"; {drained} partitionable slots have room only once drained" if drained else ""
        return _said("matching_slots_busy", f"all {slots['accept_job']} slots that would run the job are claimed"
                                            f"{room}")
    reasons = Counter({reason: count for reason, count in rejections.items() if reason not in (None, NO_MATCH)})
    if reasons:
        reason = reasons.most_common(1)[0][0]
        return _said("owner_priority", f"{slots['unclaimed']} unclaimed slots would run the job, but the negotiator "
                                       f"passed it over: \"{reason}\" (the owner's priority, or a limit or quota)")
    last = " (its last try found no match: the slots are new, or freed since)" if rejections.get(NO_MATCH) else ""
    return _said("not_considered_yet", f"{slots['unclaimed']} unclaimed slots would run the job; the negotiator "
                                       f"has not matched it yet{last}")


def _said(code: str, text: str, clause: str | None = None) -> dict[str, Any]:
    return {"code": code, "text": text, "clause": clause}
