"""`docket new TYPE` (issue 19 item 1), through a real terminal: the installed `docket` on a
pty, answered prompt by prompt. Each answer is checked as it is given and asked again with
the problem in the user's words; what only the log can judge (an unknown order) is asked
again after the append is refused; without a terminal it refuses to run."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time

import pytest
from conftest import DOCKET, _env, export_of, run

from docket import EventLog


class Terminal:
    """The installed `docket` on a pseudo-terminal: wait for text, type a line."""

    def __init__(self, *args):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([str(DOCKET), *map(str, args)], stdin=slave,
                                     stdout=slave, stderr=slave, env=_env(None),
                                     close_fds=True)
        os.close(slave)
        self.seen = ""  # everything printed so far (the pty turns \n into \r\n)
        self.pos = 0

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the process has gone and closed its side
            return False
        self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        return bool(chunk)

    def expect(self, text: str, timeout: float = 20) -> str:
        """Wait until `text` is printed after what was expected before; return what came."""
        deadline = time.monotonic() + timeout
        while text not in self.seen[self.pos:]:
            if time.monotonic() > deadline or (not self._read(0.2) and
                                               self.proc.poll() is not None):
                raise AssertionError(f"{text!r} not printed; got:\n{self.seen[self.pos:]}")
        end = self.seen.index(text, self.pos) + len(text)
        got, self.pos = self.seen[self.pos:end], end
        return got

    def answer(self, prompt: str, line: str) -> str:
        got = self.expect(prompt)
        os.write(self.master, line.encode() + b"\r")
        self.expect(line + "\n")  # the terminal's echo
        return got

    def finish(self, timeout: float = 20) -> tuple[int, str]:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        while self._read(0.1):
            pass
        code = self.proc.wait(timeout=5)
        os.close(self.master)
        return code, self.seen[self.pos:]


def test_new_asks_each_field_validates_each_answer_and_appends(tmp_path):
    db = tmp_path / "docket.db"
    t = Terminal("new", "statement_published", "--db", db)
    shown = t.answer(">", "Twitter")
    assert "statement_published: A party states its position in public." in shown
    assert "speaker (required): who spoke or wrote\n  text (1 to 10000 characters)\n" in shown
    t.answer(">", "We complied in part.")
    shown = t.answer(">", "tv")
    assert ("channel (optional, Enter to skip): where it was said\n"
            "  one of: press, blog, parliament, social, other\n") in shown
    assert t.answer(">", "press").startswith(
        "  'tv' is not one of press, blog, parliament, social, other\n")
    t.answer(">", "")  # no quote
    shown = t.answer(">", "Twitter India")
    assert "stream (required): the dispute it belongs to" in shown
    assert t.answer(">", "twitter-india-2021").startswith(
        "  'Twitter India' is not a stream name (lowercase letters, digits, '.', '_' and "
        "'-', starting with a letter or a digit, at most 128 characters)\n")
    shown = t.answer(">", "2021-02-10T10:00")
    assert ("  time: YYYY-MM-DD, or RFC 3339 with an offset, e.g. 2021-02-01T14:30:00+05:30 "
            "or 2021-02-01T09:00:00Z\n") in shown
    assert t.answer(">", "2021-02-10T10:00:00+05:30").startswith(
        "  time '2021-02-10T10:00' has no seconds and no offset (RFC 3339 writes HH:MM:SS, "
        "as in '2021-02-10T10:00:00Z', in UTC)\n")
    t.answer(">", "Twitter")  # actor
    t.answer("source 1 title>", "Reuters: Twitter says it complied in part")
    t.answer("url (where to read it; Enter to skip)>", "https://example.org/a b")
    assert t.answer(">", "https://example.org/a").startswith(
        "  'https://example.org/a b' is not a URL (http:// or https://, without spaces)\n")
    t.answer("published (when it was published; Enter to skip)>", "2021-02-10")
    t.answer("quote (", "")
    t.answer("source 2 title>", "")
    shown = t.answer(">", "")  # confidence: the default
    assert "confidence (optional, Enter for reported): how sure the record is" in shown
    shown = t.answer("Append it? [Y/n]:", "y")
    assert '"summary": "We complied in part."' in shown
    code, rest = t.finish()
    assert code == 0, rest
    receipt = json.loads(rest.strip().splitlines()[-1])
    assert (receipt["seq"], receipt["version"], receipt["duplicate"]) == (1, 1, False)
    (record,) = [json.loads(r) for r in export_of(db).splitlines()]
    assert record["hash"] == receipt["hash"] and record["id"] == receipt["id"]
    assert {k: record[k] for k in ("type", "stream", "occurred_at", "actor", "data",
                                   "sources", "confidence")} == {
        "type": "statement_published", "stream": "twitter-india-2021",
        "occurred_at": "2021-02-10T10:00:00+05:30", "actor": "Twitter",
        "data": {"speaker": "Twitter", "summary": "We complied in part.", "channel": "press"},
        "sources": [{"title": "Reuters: Twitter says it complied in part",
                     "url": "https://example.org/a", "published": "2021-02-10"}],
        "confidence": "reported"}


def test_new_asks_again_for_a_field_the_log_refuses(tmp_path):
    db = tmp_path / "docket.db"
    log = EventLog(str(db))
    log.append([{"type": "order_issued", "stream": "s", "occurred_at": "2021-02-01",
                 "data": {"order_id": "O-1", "issuer": "MeitY", "platform": "Twitter",
                          "target_count": 1178}}])
    log.close()
    before = export_of(db)
    t = Terminal("new", "accounts_blocked", "--db", db)
    t.answer(">", "O-404")  # order_id: not in the log, as the append will find
    t.answer("1 (Enter to finish)>", "")  # no targets by name
    t.answer(">", "maybe")  # all_targets
    assert t.answer(">", "no").startswith("  'maybe': answer yes or no\n")
    t.answer(">", "1,178")  # count
    assert t.answer(">", "583").startswith(
        "  '1,178' is not a whole number: write digits only, e.g. 1178\n")
    t.answer(">", "IN")  # scope
    t.answer(">", "")  # basis
    shown = t.answer(">", "")  # the stream: the log's only one, by default
    assert "stream (required, Enter for s)" in shown
    t.answer(">", "2021-02-12")
    t.answer(">", "")  # actor
    t.answer("source 1 title>", "")
    t.answer(">", "confirmed")
    shown = t.answer("Append it? [Y/n]:", "y")
    shown = t.answer(">", "O-1")
    assert shown.startswith("  event (accounts_blocked): field `data.order_id`: unknown "
                            "order 'O-404' in stream 's'\norder_id (optional, Enter to skip)")
    assert export_of(db) == before  # nothing was written by the refused attempt
    shown = t.answer("Append it? [Y/n]:", "y")
    assert '"order_id": "O-1"' in shown and '"count": 583' in shown
    code, rest = t.finish()
    assert code == 0, rest
    assert json.loads(rest.strip().splitlines()[-1])["seq"] == 2
    record = json.loads(export_of(db).splitlines()[1])
    assert record["data"] == {"order_id": "O-1", "all_targets": False, "count": 583,
                              "scope": "IN"}
    assert (record["stream"], record["occurred_at"], record["confidence"]) == (
        "s", "2021-02-12", "confirmed")


def test_new_refuses_without_a_terminal(tmp_path):
    db = tmp_path / "docket.db"
    code, out, err = run("new", "statement_published", "--db", db, input=b"Twitter\n")
    assert (code, out) == (2, "")
    assert err == ("Error: docket new asks questions on a terminal, and stdin is not one; to "
                   "append from a script use docket append (see docket new --help)\n")
    assert not db.exists()


@pytest.mark.parametrize("kind", ["statement", "penalty_impose"])
def test_new_of_an_unknown_type_is_a_usage_error(tmp_path, kind):
    code, out, err = run("new", kind, "--db", tmp_path / "docket.db")
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith(f"Error: Invalid value for TYPE: '{kind}' is not an event type")


def test_new_stopped_before_appending_leaves_no_log(tmp_path):
    """Ctrl-C at the first question: exit 1, one `Error: aborted` line (it said "internal
    error (Abort)"), and nothing appended."""
    db = tmp_path / "fresh.db"
    t = Terminal("new", "statement_published", "--db", db)
    t.expect(">")
    # Ctrl-C (the pty is not its controlling terminal, so the signal is sent). One that
    # lands between the prompt and the read it waits in is seen only when the read
    # returns (CPython), so it is pressed again, as a user would, until the command ends.
    for _ in range(10):
        t.proc.send_signal(signal.SIGINT)
        try:
            t.proc.wait(timeout=3)
            break
        except subprocess.TimeoutExpired:
            continue
    code, rest = t.finish()
    # click turns Ctrl-C at a prompt into its Abort; a signal landing a moment outside the
    # prompt is Python's KeyboardInterrupt: one line either way.
    assert code == 1 and rest.strip().splitlines()[-1] in (
        "Error: aborted", "Error: interrupted; the log is as it was before this command"), rest
    assert "internal error" not in rest and "Traceback" not in rest
    assert export_of(db) == b""
