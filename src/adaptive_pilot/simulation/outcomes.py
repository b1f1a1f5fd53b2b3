"""How a simulated cohort ends: the outcome codes the kernel and its compiled passes share.

Plain integers, so the compiled (numba) code reads them as constants.
"""

from __future__ import annotations

__all__ = ["GO_CODES", "NOGO_CODES", "OUTCOMES"]

#: still running (not an outcome)
ACTIVE = -1
GO, NOGO, FUTILITY, EFFICACY, TOXICITY, INCOMPLETE, INCOMPLETE_GO, CONSIDER = range(8)

#: Outcome codes per cohort, in words.
OUTCOMES = {
    GO: "GO at the final look",
    NOGO: "NO-GO at the final look",
    FUTILITY: "stopped early for futility",
    EFFICACY: "stopped early for efficacy (GO)",
    TOXICITY: "stopped for toxicity",
    INCOMPLETE: "incomplete at the maximum duration: NO-GO",
    INCOMPLETE_GO: "incomplete at the maximum duration: GO at the n reached",
    CONSIDER: "CONSIDER at the final look",
}
#: The outcome codes that are a GO.
GO_CODES = (GO, EFFICACY, INCOMPLETE_GO)
#: The outcome codes that are a NO-GO on efficacy (a toxicity stop and CONSIDER are not).
NOGO_CODES = (NOGO, FUTILITY, INCOMPLETE)

#: Which of a patient's two uniforms draws toxicity and which response.
TOX_DRAW, RESPONSE_DRAW = 0, 1
