"""`docket report`: the self-contained HTML page (issues 8 and 19).

Unit tests parse the page with html.parser. The date control's frames are checked against the
views in test_report_frames.py, the labels in test_report_labels.py, the number format and the
view sections in test_report_sections.py, and the page in headless Chromium in
test_report_browser.py. The report's size and time are measured by `python -m bench.report`,
not here.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import os
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from record_log import AS_FIRST_RECORDED

from docket import merkle
from docket.api import EventLog
from docket.cli import main
from docket.codec import canonical
from docket.report import page as report
from docket.report.page import blocked_series, build_report, checkpoint_of
from docket.times import format_utc, time_key

EVENTS = Path(__file__).resolve().parent.parent / "events" / "twitter-india-2021.jsonl"
DISPUTE = "twitter-india-2021"
DAY_US = 86_400_000_000
HOSTILE = '<script>alert("x")</script> & "quoted" \'too\''


def ev(type_, occurred_at, data, *, id=None, stream="s1", actor="MeitY", sources=None):
    out = {"type": type_, "stream": stream, "occurred_at": occurred_at, "actor": actor,
           "data": data, "sources": sources if sources is not None else
           [{"title": f"source of {id or type_}", "url": f"https://example.org/{id or type_}",
             "published": "2021-02-08"}]}
    if id is not None:
        out["id"] = id
    return out


SMALL = [
    ev("order_issued", "2021-02-01", {"order_id": "O-1", "issuer": "MeitY", "platform": "Twitter",
                                      "targets": ["@a", "@b", "@c"], "procedure": "emergency",
                                      "deadline": "2021-02-03"}, id="o1"),
    ev("accounts_blocked", "2021-02-01T12:00:00+05:30", {"order_id": "O-1", "targets": ["@a"]},
       id="b1", actor="Twitter"),
    ev("order_issued", "2021-02-02", {"order_id": "O-2", "issuer": "MeitY", "platform": "Twitter",
                                      "target_count": 10}, id="o2"),
    ev("accounts_blocked", "2021-02-02T03:00:00Z", {"order_id": "O-2", "count": 4}, id="b2",
       actor="Twitter"),
    ev("notice_sent", "2021-02-03T10:00:00Z",
       {"notice_id": "N-1", "kind": "non_compliance", "issuer": "MeitY", "recipient": "Twitter",
        "order_ids": ["O-1", "O-2"]}, id="n1"),
    ev("accounts_blocked", "2021-02-04T01:00:00Z", {"order_id": "O-1", "all_targets": True},
       id="b3", actor="Twitter"),
    ev("accounts_blocked", "2021-02-05", {"order_id": "O-2", "count": 3}, id="bad-block",
       actor="Twitter"),
    ev("accounts_unblocked", "2021-02-06", {"targets": ["@b"], "unilateral": True}, id="u1",
       actor="Twitter"),
    ev("statement_published", "2021-02-06T09:00:00Z",
       {"speaker": "Twitter", "summary": HOSTILE, "quote": "<b>bold</b>"}, id="st1",
       actor='<img src=x onerror="alert(1)">',
       sources=[{"title": "a source without a link <i>", "published": "2021-02-06"}]),
    ev("event_retracted", "2021-02-07", {"target_id": "bad-block",
                                         "reason": "misreported: the <count> was a rumour"},
       id="r1", actor="analyst"),
    ev("compliance_reported", "2021-02-08", {"order_id": "O-2", "actioned": 4, "specified": 10,
                                             "reporter": "Twitter"}, id="c1"),
    ev("event_corrected", "2021-02-08", {"target_id": "b2", "reason": "time was wrong",
                                         "occurred_at": "2021-02-02T05:00:00Z"}, id="k1",
       actor="analyst"),
    ev("order_issued", "2021-03-01", {"order_id": "O-9", "issuer": "MHA", "platform": "X",
                                      "target_count": 2}, id="other", stream="s2"),
]


class Page(HTMLParser):
    """Collects tags, classes, ids and hrefs, and checks that every element is closed."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.problems: list[str] = []
        self.text: list[str] = []
        self.scripts: list[tuple[dict, str]] = []
        self.open_del = 0
        self.del_text: list[str] = []
        self.feed(text)
        self.close()
        if self.stack:
            self.problems.append(f"unclosed: {self.stack}")

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "del":
            self.open_del += 1

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()
        if tag == "del":
            self.open_del -= 1

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "script":
            self.scripts.append((self.tags[-1][1], data))
            return
        self.text.append(data)
        if self.open_del:
            self.del_text.append(data)

    def with_class(self, name: str) -> list[tuple[str, dict]]:
        return [(t, a) for t, a in self.tags if name in (a.get("class") or "").split()]


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> EventLog:
    log = EventLog(str(tmp_path_factory.mktemp("report") / "docket.db"))
    log.append(SMALL[:9])
    time.sleep(0.01)  # the retraction and later events are known later
    log.append(SMALL[9:])
    return log


@pytest.fixture(scope="module")
def dispute(tmp_path_factory) -> EventLog:
    # The recorded dispute is kept as an export (records with their hashes): import it.
    log = EventLog(str(tmp_path_factory.mktemp("dispute") / "docket.db"))
    log.import_lines(enumerate(EVENTS.read_bytes().splitlines()[:AS_FIRST_RECORDED], 1))
    return log


@pytest.fixture(scope="module")
def small_page(small) -> str:
    return build_report(small, "s1")


def test_page_is_well_formed_and_self_contained(small_page):
    page = Page(small_page)
    assert not page.problems, page.problems
    assert small_page.startswith("<!DOCTYPE html>")
    ids = [a["id"] for _, a in page.tags if "id" in a]
    assert len(ids) == len(set(ids)), "duplicate ids"
    names = {t for t, _ in page.tags}
    assert not names & {"link", "img", "iframe", "object", "embed", "image", "frame", "base"}
    assert not any(k.startswith("on") for _, a in page.tags for k in a)
    assert "src=" not in small_page.replace("src=x", "")  # the escaped hostile actor only
    assert "url(" not in small_page.replace("url(#clip", "") and "@import" not in small_page
    # Two scripts: the frames as inert JSON, and the one inline script, which the page's
    # Content-Security-Policy allows by its hash (and nothing else: no request can be made).
    scripts = [(t, a) for t, a in page.tags if t == "script"]
    assert [a for _, a in scripts] == [{"type": "application/json", "id": "asof-data"}, {}]
    code = page.scripts[-1][1]
    (policy,) = [a["content"] for t, a in page.tags
                 if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
    assert policy.split("; ")[:2] == ["default-src 'none'", f"script-src 'sha256-{digest}'"]
    assert "connect-src" not in policy and "http" not in policy
    assert not re.search(r"\b(fetch|XMLHttpRequest|WebSocket|import|eval|Function)\b", code)
    # The only http(s) URLs are the sources' own links, in href.
    links = [a["href"] for t, a in page.tags if t == "a" and a.get("href", "").startswith("http")]
    assert sorted(set(links)) == sorted({s["url"] for e in SMALL if e["stream"] == "s1"
                                         for s in e["sources"] if "url" in s})
    text_urls = re.findall(r"https?://[^\s\"'<>]+", small_page)
    assert sorted(set(text_urls)) == sorted(set(links))
    for tag, attrs in page.tags:
        for key, value in attrs.items():
            if value and re.search(r"https?://", value):
                assert (tag, key) == ("a", "href"), (tag, key, value)


def test_one_mark_per_event_with_a_tooltip(small, small_page):
    page = Page(small_page)
    marks = page.with_class("tl-mark")
    records = small.timeline("s1")
    assert len(marks) == len(records) == 12
    # each mark is a circle with a <title>, and links to its row
    assert small_page.count('<circle class="tl-mark') == len(records)
    for record in records:
        assert f'href="#ev-{record["seq"]}"' in small_page
        assert f'id="ev-{record["seq"]}"' in small_page
    # coloured by type, with a legend naming each type present
    legend = "".join(page.text)
    for kind in {r["type"] for r in records}:
        assert kind in legend
    assert len(page.with_class("tl-retracted")) == 1


def test_charts_one_per_order_with_lines(small, small_page):
    page = Page(small_page)
    rows = small.compliance("s1")
    charts = page.with_class("order-chart")
    assert [a["data-order"] for _, a in charts] == [r["order_id"] for r in rows] == ["O-1", "O-2"]
    assert len(page.with_class("blocked-line")) == len(rows)
    assert len(page.with_class("target-line")) == 2
    assert len(page.with_class("deadline-line")) == 1  # O-1 only has a deadline
    assert len(page.with_class("notice-line")) == 2  # N-1 names both orders
    assert len(page.with_class("report-mark")) == 1
    # compliance figures of each order and the compliance table
    assert len(page.with_class("figures")) == 2
    assert len(page.with_class("compliance")) == 1
    assert len(re.findall(r'<tr id="o\d+">', small_page)) == 2  # one row per order, shown


def test_each_blocked_line_counts_its_changes_after_the_issue(small, small_page):
    """The step line's title counted the order's issue as a change ("1 changes, 0 at the
    end" for an order never acted on): it counts the changes of `blocked` the series has
    after the issue, in words."""
    titles = re.findall(r'<polyline class="blocked-line"[^>]*><title>([^<]*)</title>',
                        small_page)
    records = small.timeline("s1")
    for oid, title in zip(["O-1", "O-2"], titles, strict=True):
        points = blocked_series(records, "s1")[oid]["blocked"]
        changes = len(points) - 1
        said = "no change" if changes == 0 else f"{changes} change" + ("s" * (changes > 1))
        assert title == f"blocked under {oid}: {said}, {points[-1][1]} at the end", title
        assert "1 changes" not in title


def test_retracted_event_struck_through_with_reason(small_page):
    page = Page(small_page)
    struck = "".join(page.del_text)
    assert "2021-02-05" in struck and "blocks 3 accounts" in struck
    assert "misreported: the &lt;count&gt; was a rumour" in small_page
    row = re.search(r'<tr class="retracted" data-f="\d+">.*?</tr>', small_page, re.S).group(0)
    assert "<del>" in row and "retracted by r1" in row and "misreported" in row


def test_corrected_events_say_so_with_each_correction(tmp_path):
    """An analyst's review: the report's events table showed a corrected event's new time
    with nothing to say it was corrected (`docket log` marks it). Each correction applied
    is named under its event, linked to its row, with its reason."""
    import html

    log = EventLog(str(tmp_path / "whole.db"))
    log.import_lines(enumerate(EVENTS.read_bytes().splitlines(), 1))  # the corrections too
    page = build_report(log, "twitter-india-2021")
    corrected = [r for r in log.timeline("twitter-india-2021") if r.get("corrected")]
    assert corrected, "the recorded dispute has corrected events"
    marks = re.findall(r'<div class="correction">corrected by <a href="#ev-(\d+)">#(\d+)</a>: '
                       r'([^<]*)</div>', page)
    assert [(int(a), int(b), html.unescape(reason)) for a, b, reason in marks] == [
        (c["seq"], c["seq"], c["reason"]) for r in corrected for c in r["corrected"]]
    for seq, _, _ in marks:
        assert f'<span id="ev-{seq}"></span>' in page  # the correction's own row
    log.close()


def test_text_is_escaped(small_page):
    # only the page's own two scripts; the hostile summary and actor are text
    assert small_page.lower().count("<script") == 2
    assert small_page.count("</script>") == 2
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in small_page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in small_page
    assert "&lt;b&gt;bold&lt;/b&gt;" in small_page
    assert "a source without a link &lt;i&gt;" in small_page


def check_series(log, stream: str, records: list[dict], series: dict) -> None:
    """Each order's step line (`blocked_series`) is what `state(as_of=t)` says at every
    event time t (an order not issued yet has no point before t)."""
    for t in sorted({time_key(r["occurred_at"]) for r in records}):
        orders = log.state(stream, as_of=format_utc(t))["orders"]
        for oid, info in series.items():
            points = info["blocked"]
            i = bisect.bisect_right([p[0] for p in points], t) - 1
            if oid not in orders:
                assert i < 0
                continue
            assert points[i][1] == orders[oid]["blocked"], (oid, format_utc(t))


def test_series_is_the_views_at_every_instant(small):
    """The step line's values are what `state(as_of=t)` says at every event time."""
    records = small.timeline("s1")
    series = blocked_series(records, "s1")
    final = {r["order_id"]: r["blocked"] for r in small.compliance("s1")}
    assert {oid: s["blocked"][-1][1] for oid, s in series.items()} == final == {"O-1": 2, "O-2": 4}
    check_series(small, "s1", records, series)
    # the retracted block never counted; the unblock of @b (no order_id) lowered O-1
    assert [v for _, v in series["O-2"]["blocked"]] == [0, 4]
    assert [v for _, v in series["O-1"]["blocked"]] == [0, 1, 3, 2]


def test_as_of_known_at_and_stream_selection(small, dispute):
    early = Page(build_report(small, "s1", as_of="2021-02-02"))
    assert len(early.with_class("tl-mark")) == len(small.timeline("s1", as_of="2021-02-02")) == 4
    assert len(early.with_class("order-chart")) == 2
    # known before the retraction was recorded: the block stands, nothing is struck through
    (first_batch,) = [r["recorded_at"] for r in small.timeline("s1") if r["seq"] == 9]
    before = small.timeline("s1", known_at=first_batch)
    assert len(before) == 9 and not any(r.get("retracted") for r in before)
    html = build_report(small, "s1", known_at=first_batch)
    page = Page(html)
    assert len(page.with_class("tl-mark")) == 9 and "<del>" not in html
    assert len(page.with_class("tl-retracted")) == 0
    assert re.search(r'<dd class="fig-blocked" data-c="\d+">7</dd>', html)  # 4 + not retracted
    empty = build_report(small, "s1", known_at="2000-01-01")
    assert not Page(empty).problems and "No events in this selection" in empty
    other = Page(build_report(small, "s2"))
    assert len(other.with_class("tl-mark")) == 1 and len(other.with_class("order-chart")) == 1
    # the only stream is the default
    assert build_report(dispute) == build_report(dispute, DISPUTE)


def test_aggregates_marks_per_day(small, monkeypatch):
    monkeypatch.setattr(report, "AGGREGATE_ABOVE", 5)
    html = build_report(small, "s1")
    page = Page(html)
    assert not page.problems, page.problems
    records = small.timeline("s1")
    days = {time_key(r["occurred_at"]) // DAY_US for r in records}
    marks = page.with_class("tl-mark")
    assert len(marks) == len(days) < len(records)
    assert sum(int(a["data-count"]) for _, a in marks) == len(records)
    assert len(page.with_class("blocked-line")) == 2
    # the retracted event is still listed and struck through
    assert "misreported" in html and "<del>" in html


def test_page_is_deterministic_and_shows_the_checkpoint(dispute):
    html = build_report(dispute)
    assert html == build_report(dispute)
    cp = checkpoint_of(dispute)
    bodies = [canonical({k: v for k, v in r.items() if k != "hash"}) for r in dispute.read()]
    assert cp["size"] == len(bodies) == 22
    assert cp["root"] == merkle.root(bodies).hex()
    assert f"<code>{cp['root']}</code>" in html and "<code>22</code>" in html


def test_page_depends_only_on_the_log_content(dispute, tmp_path):
    """The same bytes from a copy of the log made later, at another path, read by another
    process in another time zone and folder: no clock, no path, no locale in the page."""
    html = build_report(dispute)
    assert build_report(dispute) == html
    assert dispute.path not in html and os.path.basename(dispute.path) not in html
    time.sleep(0.01)
    copy = tmp_path / "copy.db"
    other = EventLog(str(copy))
    other.import_lines(enumerate(b"".join(dispute.export_lines()).splitlines(), 1))
    assert build_report(other) == html
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, TZ="Pacific/Chatham", LC_ALL="C.UTF-8", LANG="de_DE.UTF-8")
    docket = Path(sys.executable).parent / "docket"
    done = subprocess.run([str(docket), "report", "--db", str(copy), "-o", "-"], cwd=elsewhere,
                          env=env, capture_output=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == html.encode()
    # `docket project` writes the same page as the stream's report.html.
    other.project(str(elsewhere / "proj"))
    assert (elsewhere / "proj" / DISPUTE / "report.html").read_bytes() == html.encode()


def test_recorded_dispute(dispute):
    html = build_report(dispute)
    page = Page(html)
    assert not page.problems, page.problems
    assert len(page.with_class("tl-mark")) == 22
    assert len(page.with_class("order-chart")) == len(page.with_class("blocked-line")) == 2
    assert "O-2021-01-31" in html and "reverted" in html


def test_cli(small, tmp_path):
    runner = CliRunner()
    out = tmp_path / "r.html"
    result = runner.invoke(main, ["report", "--db", small.path, "--stream", "s1",
                                  "--as-of", "2021-02-06", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text() == build_report(small, "s1", as_of="2021-02-06")
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)
    result = runner.invoke(main, ["report", "--db", small.path, "--stream", "s2", "-o", "-"])
    assert result.exit_code == 0 and result.output.startswith("<!DOCTYPE html>")
    # usage: -o is required; two streams and none chosen; a bad time; an unknown stream
    assert runner.invoke(main, ["report", "--db", small.path]).exit_code == 2
    bad = runner.invoke(main, ["report", "--db", small.path, "-o", str(out)])
    assert bad.exit_code == 2 and "s1, s2" in bad.output
    bad = runner.invoke(main, ["report", "--db", small.path, "--stream", "s1", "--as-of",
                               "yesterday", "-o", str(out)])
    assert bad.exit_code == 1 and bad.output.startswith("Error: --as-of")
    bad = runner.invoke(main, ["report", "--db", small.path, "--stream", "nope", "-o",
                               str(out)])
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    missing = runner.invoke(main, ["report", "--db", str(tmp_path / "none.db"), "-o", str(out)])
    assert missing.exit_code != 0 and "Traceback" not in missing.output


def _big_stream(n: int) -> list[dict]:
    """n events over a few weeks: orders, unnamed blocks and unblocks, notices, statements."""
    out, orders, notices = [], [], 0
    start = 1612137600  # 2021-02-01
    for i in range(n):
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + i * 317))
        if i % 1000 == 0:
            orders.append(f"O-{len(orders) + 1}")
            e = {"type": "order_issued", "data": {"order_id": orders[-1], "issuer": "MeitY",
                                                  "platform": "Twitter", "target_count": 400}}
        elif i % 10 == 3:
            notices += 1
            e = {"type": "notice_sent", "data": {"notice_id": f"N-{notices}", "kind": "other",
                                                 "issuer": "MeitY", "recipient": "Twitter",
                                                 "order_ids": [orders[-1]]}}
        elif i % 10 == 7:
            e = {"type": "statement_published", "data": {"speaker": "X", "summary": f"s{i}"}}
        elif i % 3:
            pick = orders[-1 - i % 2] if len(orders) > 1 else orders[-1]
            e = {"type": "accounts_blocked", "data": {"order_id": pick, "count": 1 + i % 4}}
        else:
            e = {"type": "accounts_unblocked", "data": {"order_id": orders[-1], "count": 2}}
        e.update(stream="big", occurred_at=at, id=f"e{i}")
        out.append(e)
    return out


def test_large_stream_aggregates(tmp_path):
    """Past AGGREGATE_ABOVE events: a bar per day, every order charted, notices counted.
    (Its size and time are measured by `python -m bench.report`, not asserted here.)"""
    events = _big_stream(3000)
    log = EventLog(str(tmp_path / "big.db"))
    log.append(events)
    html = build_report(log, "big")
    page = Page(html)
    assert not page.problems
    days = {time_key(e["occurred_at"]) // DAY_US for e in events}
    marks = page.with_class("tl-mark")
    assert len(marks) == len(days) == 12
    assert sum(int(a["data-count"]) for _, a in marks) == 3000
    assert len(page.with_class("order-chart")) == len(page.with_class("blocked-line")) == 3
    # 300 notices, under the row cap: one row each in the notices table
    assert len(re.findall(r'<tr id="n\d+"', html)) == 300
