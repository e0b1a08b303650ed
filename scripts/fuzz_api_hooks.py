"""schemathesis hooks for scripts/fuzz-api.ts (loaded through SCHEMATHESIS_HOOKS=fuzz_api_hooks).

The rollout spec has one rule JSON Schema cannot state, because it compares two fields: the poll interval must
be shorter than the confirm timeout (src/contracts/spec.ts crossFieldProblems). The document states it in words
and as `x-starwave-rule`; here generated cases whose body breaks it are dropped (in every phase: `filter_case`
also runs for the coverage phase, `filter_body` does not), so the positive-data check judges only what the
document can promise. Bodies that are not objects pass through untouched.
"""

import os

import schemathesis

# Page tokens the server gave out (scripts/fuzz-api.ts lists some before the run). A page token is a value only
# the server can make, so a positive case carrying any other is not "valid data": it is dropped (negative cases
# keep theirs and must get the documented 400).
ISSUED_PAGE_TOKENS = set(filter(None, os.environ.get("STARWAVE_FUZZ_PAGE_TOKENS", "").split(",")))

# The spec's defaults (src/contracts/spec.ts instancePolicySchema).
DEFAULT_POLL_INTERVAL_SECONDS = 10
DEFAULT_CONFIRM_TIMEOUT_SECONDS = 1800


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _is_positive(case):
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    return mode is None or bool(getattr(mode, "is_positive", True))


@schemathesis.hook
def filter_case(context, case):
    operation = case.operation
    if operation.path == "/v1/rollouts" and operation.method.upper() == "GET":
        token = (case.query or {}).get("pageToken")
        return token is None or token in ISSUED_PAGE_TOKENS or not _is_positive(case)
    if operation.path != "/v1/rollouts" or operation.method.upper() != "POST":
        return True
    body = case.body
    if not isinstance(body, dict):
        return True
    instance = body.get("instance")
    if not isinstance(instance, dict):
        return True
    poll = _number(instance.get("pollIntervalSeconds", DEFAULT_POLL_INTERVAL_SECONDS))
    confirm = _number(instance.get("confirmTimeoutSeconds", DEFAULT_CONFIRM_TIMEOUT_SECONDS))
    if poll is None or confirm is None:
        return True
    return poll < confirm
