"""An order names each target once (README, "An order names each target once"): new input
that names one twice is refused (it would count twice and the order could never be
complied with), a correction's replacement too; an older Docket's export that holds such an
order still imports, and a correction can mend it."""

from __future__ import annotations

import pytest

import docket.log
from docket import EventLog
from docket.errors import InvalidEvent

ORDER = {"type": "order_issued", "stream": "s", "occurred_at": "2021-03-01", "id": "o",
         "data": {"order_id": "O-1", "issuer": "G", "platform": "X",
                  "targets": ["@a", "@b", "@a"]}}
BLOCK = {"type": "accounts_blocked", "stream": "s", "occurred_at": "2021-03-02", "id": "b",
         "data": {"order_id": "O-1", "targets": ["@a", "@b"]}}


def _correction(targets: list[str], ident: str) -> dict:
    return {"type": "event_corrected", "stream": "s", "occurred_at": "2021-03-03", "id": ident,
            "data": {"target_id": "o", "reason": "a target named twice",
                     "data": {**ORDER["data"], "targets": targets}}}


def test_an_order_naming_a_target_twice_is_refused(backend):
    log = EventLog(backend)
    with pytest.raises(InvalidEvent) as caught:
        log.append([ORDER, BLOCK])
    assert str(caught.value) == ("event #1: event 'o' (order_issued): field `data.targets[2]`: "
                                 "'@a' is named twice (an order names each target once)")
    assert log.count() == 0
    log.close()


def test_an_older_export_with_one_imports_and_a_correction_mends_it(tmp_path, monkeypatch):
    older = EventLog(str(tmp_path / "older.db"))
    with monkeypatch.context() as m:  # as a Docket before 2026-12-02 wrote it
        m.setattr(docket.log, "_check_targets_once", lambda *args: None)
        older.append([ORDER, BLOCK])
    lines = list(older.export_lines())
    older.close()
    log = EventLog(str(tmp_path / "new.db"))
    log.import_lines(enumerate(lines, 1))
    assert b"".join(log.export_lines()) == b"".join(lines)  # kept exactly
    (row,) = log.compliance("s")
    assert (row["target_count"], row["blocked"], row["status"]) == (3, 2, "partial")
    with pytest.raises(InvalidEvent) as caught:
        log.append([_correction(["@a", "@a"], "c1")])
    assert "field `data.data.targets[1]`: '@a' is named twice (an order names each target " \
           "once)" in str(caught.value)
    log.append([_correction(["@a", "@b"], "c2")])
    (row,) = log.compliance("s")
    assert (row["target_count"], row["blocked"], row["status"]) == (2, 2, "complied")
    log.close()
