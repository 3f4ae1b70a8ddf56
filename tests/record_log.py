"""The recorded disputes' log: every file of events/ imported in chain order (each goes on
from the seq and hash of the one before), once per test module that asks for it."""

from __future__ import annotations

import json
from pathlib import Path

from docket import EventLog

EVENTS = Path(__file__).resolve().parent.parent / "events"
# The recorded dispute as first recorded: the first 22 lines of twitter-india-2021.jsonl,
# before the corrections appended on 1 Dec 2026. The report and browsing tests computed
# their figures for it (test_recorded_dispute.py checks the record as it stands).
AS_FIRST_RECORDED = 22


def chain_files() -> list[Path]:
    """events/*.jsonl by the seq of their first record."""
    def first_seq(path: Path) -> int:
        with open(path, "rb") as fh:
            return json.loads(fh.readline())["seq"]

    return sorted(EVENTS.glob("*.jsonl"), key=first_seq)


def recorded_log(path) -> EventLog:
    log = EventLog(str(path))
    for file in chain_files():
        with open(file, "rb") as fh:
            log.import_lines(enumerate(fh, 1))
    return log



def recorded(tmp_path_factory):
    """A module fixture's body: the recorded log, closed afterwards."""
    log = recorded_log(tmp_path_factory.mktemp("recorded") / "docket.db")
    yield log
    log.close()
