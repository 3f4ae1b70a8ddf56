"""The report in headless Chromium: the date control shows the views as of the day in the
address, writes the day it is given back there, leaves the page readable with scripts off, and
no two labels of a chart overlap in the browser's own text metrics.

Under CI=true these tests fail when Chromium is missing; elsewhere they are skipped, saying
why (Debian: `apt-get install -y chromium`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from record_log import AS_FIRST_RECORDED

from docket.api import EventLog
from docket.report.labels import text_width
from docket.report.page import build_report

EVENTS = Path(__file__).resolve().parent.parent / "events" / "twitter-india-2021.jsonl"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BT = "Business Today (citing Times of India)"  # who reported the figures of 11 February


def _need_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and no Chromium at {CHROMIUM}: the report's browser tests must run "
                    "(apt-get install -y chromium)")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium); under CI=true "
                "this fails instead")


def _chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _dom(url: str, tmp: Path, *extra: str) -> str:
    done = _chromium([*extra, "--dump-dom", url], tmp)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class Dom(HTMLParser):
    """What a dumped DOM shows: table rows by id (hidden or not, cell texts by class), the
    ids of hidden elements, the elements hidden for being later, and texts by id."""

    VOID = {"br", "input", "meta", "wbr", "col", "img", "hr", "link"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: dict[str, dict] = {}
        self.hidden: set[str] = set()
        self.later = 0
        self.dated = 0
        self.by_id: dict[str, str] = {}
        self.body_class = ""
        self._stack: list[tuple[str, dict]] = []
        self._cell: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body_class = a.get("class") or ""
        if "hidden" in a and a.get("id"):
            self.hidden.add(a["id"])
        if "data-f" in a:
            self.dated += 1
            self.later += "later" in (a.get("class") or "").split()
        if tag == "tr" and a.get("id"):
            self.rows[a["id"]] = {"hidden": "hidden" in a}
        if tag == "td" and self._row() is not None:
            self._cell = (a.get("class") or "").removeprefix("c-")
            self.rows[self._row()][self._cell] = ""
        if tag not in self.VOID:
            self._stack.append((tag, a))

    def _row(self):
        for tag, a in reversed(self._stack):
            if tag == "tr":
                return a.get("id")
        return None

    def handle_endtag(self, tag):
        while self._stack:
            t, _ = self._stack.pop()
            if t == tag:
                break
        if tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None and self._row() is not None:
            self.rows[self._row()][self._cell] += data
        for _, a in self._stack:
            if a.get("id"):
                self.by_id[a["id"]] = self.by_id.get(a["id"], "") + data

    def order_rows(self) -> dict[str, dict]:
        """The compliance table's rows, by order id (the shown and the hidden ones)."""
        return {r["order_id"]: r for i, r in self.rows.items() if re.fullmatch(r"o\d+", i)}


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    _need_chromium()
    log = EventLog(str(tmp_path_factory.mktemp("dispute") / "docket.db"))
    log.import_lines(enumerate(EVENTS.read_bytes().splitlines()[:AS_FIRST_RECORDED], 1))
    out = tmp_path_factory.mktemp("page") / "report.html"
    out.write_text(build_report(log), encoding="utf-8")
    return out


def _shown(rows: dict[str, dict]) -> dict[str, dict]:
    return {oid: r for oid, r in rows.items() if not r["hidden"]}


def test_two_days_two_tables(page, tmp_path):
    """The events: O-2021-01-31 issued on 31 Jan; every target blocked at 11:00 IST on
    1 Feb and restored at 17:00 IST; notice on 2 Feb, acknowledged on 8 Feb; O-2021-02-04
    (1,178 targets) on 4 Feb; figures reported on 11 Feb (126 of 257, 583 of 1,178)."""
    feb1 = Dom(_dom(page.as_uri() + "#as-of=2021-02-01", tmp_path))
    feb12 = Dom(_dom(page.as_uri() + "#as-of=2021-02-12", tmp_path))
    assert "dated" in feb1.body_class.split() and "asof" not in feb1.hidden
    one = _shown(feb1.order_rows())
    assert list(one) == ["O-2021-01-31"]  # O-2021-02-04 is not issued yet
    assert feb1.order_rows()["O-2021-02-04"]["hidden"]
    jan31 = one["O-2021-01-31"]
    assert (jan31["target_count"], jan31["blocked"], jan31["ever_blocked"], jan31["restored"],
            jan31["status"], jan31["first_action_at"], jan31["notices"], jan31["acknowledged"],
            jan31["reported"]) == ("258", "0", "258", "258", "reverted",
                                   "2021-02-01T11:00:00+05:30", "–", "no", "–")
    assert feb1.by_id["asof-status"] == (
        "As of 2021-02-01: 4 of 22 events on the timeline · 1 order")
    assert feb1.dated - feb1.later > 0 and feb1.later > 0
    assert "so1" in feb1.hidden  # the chart of the order not yet issued

    both = _shown(feb12.order_rows())
    assert list(both) == ["O-2021-01-31", "O-2021-02-04"]
    jan31, feb4 = both["O-2021-01-31"], both["O-2021-02-04"]
    assert (jan31["status"], jan31["notices"], jan31["acknowledged"], jan31["reported"]) == (
        "reverted", "N-2021-02-02-non-compliance", "yes", f"126 of 257 by {BT}")
    assert (feb4["target_count"], feb4["blocked"], feb4["status"], feb4["acknowledged"],
            feb4["reported"]) == ("1,178", "0", "pending", "no", f"583 of 1,178 by {BT}")
    assert feb12.by_id["asof-status"] == (
        "As of 2021-02-12: 16 of 22 events on the timeline · 2 orders "
        "(nothing changed after 2021-02-11)")
    assert not {"so0", "so1"} & feb12.hidden
    # accounts: none blocked by name on 1 Feb; the three of 5 Feb by 12 Feb
    accounts = lambda d: {r["target"]: (r["status"], r["scope"]) for i, r in d.rows.items()
                          if re.fullmatch(r"a\d+", i) and not r["hidden"]}
    assert accounts(feb1) == {}
    assert accounts(feb12) == {t: ("blocked", "IN") for t in
                               ("@Kisanektamorcha", "@tractor2twitr", "@Bkuektaugrahan")}
    assert not feb1.rows["a-none"]["hidden"] and feb12.rows["a-none"]["hidden"]


def test_the_view_now_and_a_bad_day(page, tmp_path):
    now = Dom(_dom(page.as_uri(), tmp_path))
    assert "dated" not in now.body_class.split() and now.later == 0
    assert now.by_id["asof-status"] == "Showing the views now: 22 events · 2 orders."
    assert list(_shown(now.order_rows())) == ["O-2021-01-31", "O-2021-02-04"]
    bad = Dom(_dom(page.as_uri() + "#as-of=2021-02-30", tmp_path))
    assert bad.later == 0 and len(_shown(bad.order_rows())) == 2
    assert bad.by_id["asof-status"].startswith(
        "The address asks for the views as of “2021-02-30”, which is not a day (YYYY-MM-DD)")
    before = Dom(_dom(page.as_uri() + "#as-of=2020-12-31", tmp_path))
    assert _shown(before.order_rows()) == {} and before.later == before.dated
    assert not before.rows["o-none"]["hidden"]
    assert before.by_id["asof-status"] == ("As of 2020-12-31: nothing had happened yet (the "
                                           "first event is on 2021-01-26).")


def _with_script(page: Path, out: Path, code: str) -> str:
    """A copy of the page with a test script after its own (and no content policy, which
    would refuse it)."""
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text())
    out.write_text(text.replace("</body>", f"<script>{code}</script></body>"))
    return out.as_uri()


def test_the_control_writes_the_address(page, tmp_path):
    url = _with_script(page, tmp_path / "report.html", """
        var input = document.getElementById("asof-date");
        input.value = "2021-02-05"; input.dispatchEvent(new Event("change"));
        var first = location.hash;
        var slider = document.getElementById("asof-slider");
        slider.value = "1"; slider.dispatchEvent(new Event("input"));
        var second = location.hash;
        document.getElementById("asof-now").click();
        document.body.setAttribute("data-test", JSON.stringify([first, second, location.hash,
            document.getElementById("asof-status").textContent]));""")
    dom = _dom(url, tmp_path)
    got = json.loads(re.search(r'data-test="([^"]*)"', dom).group(1).replace("&quot;", '"'))
    # the second frame is 31 January, the day the first order was issued
    assert got == ["#as-of=2021-02-05", "#as-of=2021-01-31", "",
                   "Showing the views now: 22 events · 2 orders."]


def test_readable_without_scripts(page, tmp_path):
    """The page with its scripts taken out (Chromium's --dump-dom needs scripts on, so this
    is what a reader with scripts off gets): the view now, the control hidden, told why."""
    bare = tmp_path / "report.html"
    bare.write_text(re.sub(r"<script\b.*?</script>", "", page.read_text(), flags=re.S))
    assert "<script" not in bare.read_text()
    html = _dom(bare.as_uri() + "#as-of=2021-02-01", tmp_path)
    dom = Dom(html)
    assert "asof" in dom.hidden  # the control stays hidden
    assert list(_shown(dom.order_rows())) == ["O-2021-01-31", "O-2021-02-04"]  # the view now
    assert dom.later == 0 and "dated" not in dom.body_class
    assert "With scripts on, a date control" in page.read_text()  # in <noscript>


_MEASURE = """
    var out = {overlaps: [], widths: []};
    document.querySelectorAll("svg").forEach(function (svg, n) {
      var boxes = [];
      svg.querySelectorAll("text").forEach(function (t) {
        if (t.getClientRects().length === 0) return;
        var b = t.getBBox(); boxes.push([b.x, b.y, b.x + b.width, b.y + b.height, t.textContent]);
      });
      boxes.forEach(function (a, i) { boxes.slice(i + 1).forEach(function (b) {
        if (a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3])
          out.overlaps.push([n, a[4], b[4]]);
      }); });
    });
    var svg = document.querySelector("svg.order-chart");
    SAMPLES.forEach(function (s) {
      var t = document.createElementNS("http://www.w3.org/2000/svg", "text");
      t.setAttribute("class", s[1]); t.textContent = s[0]; svg.appendChild(t);
      out.widths.push([s[0], s[1], t.getBBox().width]); svg.removeChild(t);
    });
    document.body.setAttribute("data-test", JSON.stringify(out));"""
_SAMPLES = [("target 1,178", "target-label", 12), ("N-2021-02-02-non-compliance", "v-label", 11),
            ("deadline", "v-label", 11), ("reported 583", "report-label", 11),
            ("29 Jun 2023", "tick-label", 12), ("WWW mmm @@@ %%%", "tick-label", 12),
            ("1,000", "y-label", 11), ("Iıl.,:; fijt", "v-label", 11)]


def _measure(html_path: Path, tmp_path: Path) -> dict:
    code = _MEASURE.replace("SAMPLES", json.dumps([[s, c] for s, c, _ in _SAMPLES]))
    dom = _dom(_with_script(html_path, tmp_path / "measure.html", code), tmp_path)
    raw = re.search(r'data-test="([^"]*)"', dom).group(1)
    return json.loads(raw.replace("&quot;", '"').replace("&amp;", "&"))


def _crowded(tmp: Path) -> Path:
    """An order with six notices, a deadline and two reports within two days."""
    def ev(kind, at, data):
        return {"type": kind, "stream": "c", "occurred_at": at, "actor": "MeitY", "data": data}

    events = [ev("order_issued", "2021-02-01T00:00:00Z", {
        "order_id": "O-1", "issuer": "MeitY", "platform": "Twitter", "target_count": 1178,
        "deadline": "2021-02-02T06:00:00Z"})]
    events += [ev("notice_sent", f"2021-02-02T0{i}:00:00Z", {
        "notice_id": f"N-2021-02-02-{i}", "kind": "other", "issuer": "MeitY",
        "recipient": "Twitter", "order_ids": ["O-1"]}) for i in range(6)]
    events += [ev("compliance_reported", f"2021-02-02T0{h}:30:00Z", {
        "order_id": "O-1", "actioned": 1100 + h, "specified": 1178, "reporter": "T"})
        for h in (4, 5)]
    events += [ev("accounts_blocked", "2021-02-03T00:00:00Z", {"order_id": "O-1",
                                                               "count": 1178})]
    log = EventLog(str(tmp / "crowded.db"))
    log.append(events)
    out = tmp / "crowded.html"
    out.write_text(build_report(log), encoding="utf-8")
    return out


def test_no_labels_overlap_in_the_browser(page, tmp_path):
    for html_path in (page, _crowded(tmp_path)):
        got = _measure(html_path, tmp_path)
        assert got["overlaps"] == [], html_path.name
    # the page's width estimate is never narrower than what the browser draws
    for text, cls, width in got["widths"]:
        size = next(s for t, c, s in _SAMPLES if t == text and c == cls)
        assert text_width(text, size) >= width, (text, cls, width)


def test_screenshot(page, tmp_path):
    shot = tmp_path / "shot.png"
    run = _chromium([f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri()],
                    tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
