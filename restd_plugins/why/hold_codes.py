"""HTCondor's names of its HoldReasonCode values (``CONDOR_HOLD_CODE`` in
HTCondor's src/condor_utils/condor_holdcodes.h; the manual's "Job ClassAd
Attributes", HoldReasonCode)."""
from __future__ import annotations

from typing import Any

HOLD_CODE_NAMES: dict[int, str] = {
    0: "Unspecified", 1: "UserRequest", 2: "GlobusGramError", 3: "JobPolicy", 4: "CorruptedCredential",
    5: "JobPolicyUndefined", 6: "FailedToCreateProcess", 7: "UnableToOpenOutput", 8: "UnableToOpenInput",
    9: "UnableToOpenOutputStream", 10: "UnableToOpenInputStream", 11: "InvalidTransferAck",
    12: "TransferOutputError", 13: "TransferInputError", 14: "IwdError", 15: "SubmittedOnHold",
    16: "SpoolingInput", 17: "JobShadowMismatch", 18: "InvalidTransferGoAhead", 19: "HookPrepareJobFailure",
    20: "MissedDeferredExecutionTime", 21: "StartdHeldJob", 22: "UnableToInitUserLog",
    23: "FailedToAccessUserAccount", 24: "NoCompatibleShadow", 25: "InvalidCronSettings", 26: "SystemPolicy",
    27: "SystemPolicyUndefined", 28: "GlexecChownSandboxToUser", 29: "PrivsepChownSandboxToUser",
    30: "GlexecChownSandboxToCondor", 31: "PrivsepChownSandboxToCondor", 32: "MaxTransferInputSizeExceeded",
    33: "MaxTransferOutputSizeExceeded", 34: "JobOutOfResources", 35: "InvalidDockerImage",
    36: "FailedToCheckpoint", 37: "EC2UserError", 38: "EC2InternalError", 39: "EC2AdminError",
    40: "EC2ConnectionProblem", 41: "EC2ServerError", 42: "EC2InstancePotentiallyLostError",
    43: "PreScriptFailed", 44: "PostScriptFailed", 45: "SingularityTestFailed", 46: "JobDurationExceeded",
    47: "JobExecuteExceeded", 48: "HookShadowPrepareJobFailure",
}

#: The key a group's HoldReasonCode name goes under, besides the number.
CODE_NAME_KEY = "holdreasoncode_name"


def code_name(code: Any) -> str | None:
    """HTCondor's name of a HoldReasonCode; None for a value it has none for."""
    return HOLD_CODE_NAMES.get(code) if type(code) is int else None
