"""The report's view sections, its dated data and its one number format.

- the number format (`1,178`, `29.5`, `49.03 %`) and that the page writes every figure with it;
- the dated data the script applies: replayed here as the script does, every row at every
  frame is the row of `EventLog.compliance/state(as_of=day)`, drawn by the same cells;
- penalties, their totals and service, drawn from a hand-built SPEC §5 v2 state view (the
  fold does not have them yet), and the placeholders when a view has none;
- sections past the row cap counted by group; JSON safe inside its script element.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from record_log import AS_FIRST_RECORDED

from docket.api import EventLog
from docket.report import dated as dated_module
from docket.report.dated import script_json
from docket.report.format import count, number, percent
from docket.report.page import build_report, checkpoint_of, render_page
from docket.report.sections import _SECTIONS, compliance_columns

EVENTS = Path(__file__).resolve().parent.parent / "events" / "twitter-india-2021.jsonl"
DISPUTE = "twitter-india-2021"
HOSTILE = "@</script><script>alert(1)</script>&<!--\u2028"


class Text(HTMLParser):
    """The page's text nodes outside <script>, and its <script> contents."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text, self.json, self._in = [], None, None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._in = dict(attrs).get("type", "js")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in = None

    def handle_data(self, data):
        if self._in == "application/json":
            self.json = json.loads(data)
        elif self._in is None:
            self.text.append(data)


@given(st.integers(-10**15, 10**15))
def test_whole_numbers_group_thousands(n):
    text = number(n)
    assert int(text.replace(",", "")) == n
    digits = text.lstrip("-").split(",")
    assert 1 <= len(digits[0]) <= 3 and all(len(g) == 3 for g in digits[1:])


def test_number_format():
    assert [number(x) for x in (0, 7, 999, 1000, 1178, 5_000_000, -1234, None)] == [
        "0", "7", "999", "1,000", "1,178", "5,000,000", "-1,234", "–"]
    assert [number(x) for x in (29.5, 29.25, 1234.5, 3.0, 0.004, 2.999)] == [
        "29.5", "29.25", "1,234.5", "3", "0", "3"]
    assert [percent(x) for x in (0, 0.4903, 1, 0.5, 12.5, None)] == [
        "0 %", "49.03 %", "100 %", "50 %", "1,250 %", "–"]
    assert [count(1, "order"), count(2, "order"), count(1178, "account")] == [
        "1 order", "2 orders", "1,178 accounts"]


def _log(tmp_path, events, name="docket.db") -> EventLog:
    log = EventLog(str(tmp_path / name))
    log.append(events)
    return log


def _ev(kind, day, data, actor="MeitY"):
    return {"type": kind, "stream": "big", "occurred_at": day, "actor": actor, "data": data}


def test_every_figure_in_one_format(tmp_path):
    """Numbers of four digits and more wherever the page writes a number: grouped, and never
    written bare in the page's text."""
    log = _log(tmp_path, [
        _ev("order_issued", "2021-02-01", {"order_id": "O-1", "issuer": "MeitY",
                                           "platform": "Twitter", "target_count": 12345}),
        _ev("accounts_blocked", "2021-02-03", {"order_id": "O-1", "count": 2345}, "Twitter"),
        _ev("compliance_reported", "2021-02-04", {"order_id": "O-1", "actioned": 1234,
                                                  "specified": 12345, "reporter": "Twitter"}),
        _ev("challenge_filed", "2021-02-05", {"case_id": "C-1", "court": "HC",
                                              "petitioner": "Twitter"}),
        _ev("ruling_issued", "2021-02-06", {"case_id": "C-1", "court": "HC",
                                            "outcome": "dismissed", "costs": 5000000,
                                            "currency": "INR"}),
    ])
    page = build_report(log)
    text = " ".join(Text(page).text)
    for bare in ("12345", "2345", "1234", "5000000"):
        assert not re.search(rf"(?<![\w,.]){bare}(?![\w,])", text), bare
    for grouped in ("12,345", "2,345", "1,234 of 12,345", "5,000,000 INR",
                    "orders Twitter to block 12,345 targets", "reports 1,234 of 12,345",
                    "target 12,345", "19 %"):  # 2,345 / 12,345 = 0.19
        assert grouped in text, grouped
    # the frames' cells use it too
    data = Text(page).json
    assert any("2,345" in str(v) for v in data["rows"].values())


def _replay(rows: dict, row_id: str, k: int):
    """What the page's script does for one row: its cells at frame k (None: not shown)."""
    cells = None
    for at, change in rows.get(row_id, ()):
        if at > k:
            break
        if change is None:
            cells = None
        elif isinstance(change, list):
            cells = dict(enumerate(change))
        else:
            cells = {**(cells or {}), **{int(j): h for j, h in change.items()}}
    return cells


@pytest.fixture(scope="module")
def dispute(tmp_path_factory) -> EventLog:
    log = EventLog(str(tmp_path_factory.mktemp("dispute") / "docket.db"))
    log.import_lines(enumerate(EVENTS.read_bytes().splitlines()[:AS_FIRST_RECORDED], 1))
    return log


def test_script_data_replays_to_the_views_of_each_day(dispute):
    page = build_report(dispute)
    data = Text(page).json
    rows = dispute.compliance(DISPUTE)
    columns = compliance_columns(rows)
    order_ids = [r["order_id"] for r in rows]  # the table's rows o0, o1, … in this order
    specs = {spec[0]: spec for spec in _SECTIONS}
    now = dispute.state(DISPUTE)
    for k, day in enumerate(data["days"]):
        want = {r["order_id"]: r for r in dispute.compliance(DISPUTE, as_of=day)}
        for i, oid in enumerate(order_ids):
            cells = _replay(data["rows"], f"o{i}", k)
            if oid not in want:
                assert cells is None, (day, oid)
                continue
            assert cells == {j: c.render(oid, want[oid]) for j, c in enumerate(columns)}
        assert (_replay(data["rows"], "o-none", k) is not None) == (not want)
        state = dispute.state(DISPUTE, as_of=day)
        for name, prefix in (("accounts", "a"), ("notices", "n"), ("challenges", "ch")):
            cols = specs[name][4]
            for i, key in enumerate(now[name]):  # the rows in the view's order now
                cells = _replay(data["rows"], f"{prefix}{i}", k)
                entry = state[name].get(key)
                assert cells == (None if entry is None else {
                    j: c.render(key, entry) for j, c in enumerate(cols)}), (day, name, key)
    # before the first day: no order, the "none" rows shown
    assert _replay(data["rows"], "o0", -1) is None
    assert _replay(data["rows"], "o-none", -1) == {}
    assert data["status"][data["days"].index("2021-02-01")] == \
        "4 of 22 events on the timeline · 1 order"


def _hand_built_view(view: dict) -> dict:
    """The dispute's view now, with the SPEC §5 v2 parts the lead's fold will add."""
    return {**view,
            "penalties": {
                "P-1": {"issuer": "Karnataka High Court", "against": "X Corp",
                        "amount": 5000000, "currency": "INR", "per": "once",
                        "imposed_at": "2023-06-30", "starts_at": "2023-06-30", "ends_at": None,
                        "order_ids": [], "case_id": "WP 13710/2022", "status": "outstanding",
                        "accrued": 5000000, "paid": 0},
                "P-2": {"issuer": "MeitY", "against": "Twitter", "amount": 25000,
                        "currency": "INR", "per": "day", "imposed_at": "2021-02-12",
                        "starts_at": "2021-02-12", "ends_at": "2021-02-20",
                        "order_ids": ["O-2021-02-04"], "case_id": None, "status": "lifted",
                        "accrued": 150000, "paid": 150000}},
            "penalty_totals": {"INR": {"accrued": 5150000, "paid": 150000}},
            "service": {"IN": {"platform": "Twitter", "status": "suspended",
                               "since": "2021-02-15", "ordered_by": "DoT",
                               "order_id": "O-2021-02-04"}}}


def test_penalties_and_service_from_a_v2_view(dispute):
    view = dispute.state(DISPUTE)
    rows = dispute.compliance(DISPUTE)
    records = dispute.timeline(DISPUTE)
    cp = checkpoint_of(dispute)
    plain = render_page(view, rows, records, cp)
    # The view has the v2 parts (empty where the stream has none): tables, no placeholder.
    assert 'class="placeholder"' not in plain
    assert 'id="p-section"' in plain and 'id="sv-section"' in plain
    if not view["service"]:
        assert "No countries in this view." in plain
    # A view without them (made before v2) gets the labelled placeholders.
    old = {k: v for k, v in view.items() if k not in ("penalties", "penalty_totals", "service")}
    before = render_page(old, rows, records, cp)
    assert before.count('class="placeholder"') == 2
    assert "Not in these views yet" in before and "penalty_imposed" in before
    assert "service_suspended" in before
    v2 = render_page(_hand_built_view(view), rows, records, cp)
    text = " ".join(Text(v2).text)
    assert 'class="placeholder"' not in v2
    for html_ in (r'<tr id="p0"><td class="c-penalty_id">P-1</td>',
                  r'<td class="c-amount">5,000,000 INR</td>',
                  r'<td class="c-amount">25,000 INR</td>',
                  r'<span class="status status-outstanding">outstanding</span>',
                  r'<span class="status status-lifted">lifted</span>',
                  r'<tr id="pt0"><td class="c-currency">INR</td><td class="c-accrued">5,150,000',
                  r'<tr id="sv0"><td class="c-country">IN</td><td class="c-platform">Twitter',
                  r'<span class="status status-suspended">suspended</span>'):
        assert html_ in v2, html_
    # the fold's views at each day have no penalties yet: said so, not passed off as dated
    assert "Penalties: shown as of now only" in text
    assert 'id="p-section" class="only-now"' in v2


def test_sections_past_the_row_cap_are_counted(dispute, monkeypatch):
    monkeypatch.setattr(dated_module, "ROW_CAP", 2)
    monkeypatch.setattr("docket.report.sections.ROW_CAP", 2)
    page = build_report(dispute)
    # 3 accounts, all blocked in IN; 3 notices: 1 non_compliance acknowledged, 2 final not
    accounts = re.search(r'<tbody id="a-counts">(.*?)</tbody>', page).group(1)
    assert accounts == '<tr><td>blocked</td><td>IN</td><td class="c-count">3</td></tr>'
    notices = re.search(r'<tbody id="n-counts">(.*?)</tbody>', page).group(1)
    assert notices == ('<tr><td>final</td><td>not yet</td><td class="c-count">2</td></tr>'
                       '<tr><td>non_compliance</td><td>acknowledged</td>'
                       '<td class="c-count">1</td></tr>')
    assert not re.search(r'<tr id="a\d', page)
    data = Text(page).json
    days = data["days"]
    changes = dict(data["parts"]["n-counts"])
    # the notice of 2 Feb, unacknowledged until 8 Feb
    assert changes[days.index("2021-02-02")] == (
        '<tr><td>non_compliance</td><td>not yet</td><td class="c-count">1</td></tr>')
    assert "acknowledged" in changes[days.index("2021-02-08")]
    assert changes[-1].startswith('<tr class="none">')


def test_json_is_safe_in_its_script(tmp_path):
    text = script_json({"a": [HOSTILE, "</SCRIPT >", "<!-- -->"], HOSTILE: 1})
    assert not set(text) & set("<>&\u2028\u2029")
    assert json.loads(text) == {"a": [HOSTILE, "</SCRIPT >", "<!-- -->"], HOSTILE: 1}
    # a target, a notice and a case named to break out of the script element
    log = _log(tmp_path, [
        _ev("order_issued", "2021-02-01", {"order_id": "O-<b>", "issuer": "MeitY",
                                           "platform": "Twitter", "targets": [HOSTILE]}),
        _ev("accounts_blocked", "2021-02-02", {"order_id": "O-<b>", "targets": [HOSTILE]}),
        _ev("notice_sent", "2021-02-03", {"notice_id": HOSTILE, "kind": "other",
                                          "issuer": "M", "recipient": "T"}),
    ])
    page = build_report(log)
    assert page.lower().count("<script") == 2 and page.count("</script>") == 2
    assert "<!--" not in page
    data = Text(page).json  # parses, and holds the names as they are
    escaped = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped in json.dumps(data["rows"], ensure_ascii=False)


def test_v2_parts_of_the_fold_are_dated(dispute, monkeypatch):
    """When the fold's state view has a keyed v2 part (as penalties will), each frame carries
    it: a daily penalty imposed on 5 February shows from that day, accruing day by day."""
    from datetime import date

    from docket.report import frames as frames_module

    real = frames_module.state_view

    def penalty(as_of: str) -> dict:
        days = (date.fromisoformat(as_of[:10]) - date(2021, 2, 5)).days + 1
        return {} if days < 1 else {"P-1": {
            "issuer": "MeitY", "against": "Twitter", "amount": 100, "currency": "INR",
            "per": "day", "imposed_at": "2021-02-05", "starts_at": "2021-02-05",
            "ends_at": None, "order_ids": [], "case_id": None, "status": "outstanding",
            "accrued": 100 * days, "paid": 0}}

    def with_penalty(state, **kw):
        return {**real(state, **kw), "penalties": penalty(kw["as_of"])}

    monkeypatch.setattr(frames_module, "state_view", with_penalty)
    now = {**dispute.state(DISPUTE), "penalties": penalty("2023-08-01")}
    page = render_page(now, dispute.compliance(DISPUTE), dispute.timeline(DISPUTE),
                       checkpoint_of(dispute))
    assert 'class="only-now"' not in page and "shown as of now only" not in page
    data = Text(page).json
    days = data["days"]
    accrued = [(_replay(data["rows"], "p0", k) or {}).get(11) for k in range(len(days))]
    assert accrued[days.index("2021-02-04")] is None
    assert accrued[days.index("2021-02-05")] == "100"
    assert accrued[days.index("2021-02-08")] == "400"  # 5, 6, 7 and 8 February
    assert accrued[-1] == "90,800"  # 908 days from 2021-02-05 to 2023-08-01, both counted


def test_a_page_made_as_of_a_day_holds_no_later_day(dispute):
    page = build_report(dispute, as_of="2021-02-05")
    data = Text(page).json
    assert data["days"] == ["2021-01-26", "2021-01-31", "2021-02-01", "2021-02-02",
                            "2021-02-04", "2021-02-05"]
    assert data["max"] == "2021-02-05" and "made as of 2021-02-05" in data["beyond"]
    assert 'max="2021-02-05"' in page and 'min="2021-01-26"' in page
    assert data["status"][-1] == "7 of 7 events on the timeline · 2 orders"


@pytest.mark.parametrize(("times", "shown"), [
    ({}, "now"),
    ({"as_of": "2021-02-05"}, "as of 2021-02-05"),
    ({"known_at": "2026-12-01"}, "as known at 2026-12-01"),
    ({"as_of": "2021-02-05", "public_at": "2021-02-04"},
     "as of 2021-02-05, public at 2021-02-04"),
])
def test_the_page_says_which_views_it_shows(dispute, times, shown):
    """Without scripts and in the date control's status: "now" only when no time was given;
    a page made as of a day says that day."""
    page = build_report(dispute, **times)
    data, text = Text(page).json, "".join(Text(page).text)
    assert data["now"].startswith(f"Showing the views {shown}: ")
    assert f"These are the views {shown}. With scripts on" in text
    assert (shown == "now") == ("views now" in page)
