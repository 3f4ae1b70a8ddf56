"""The command line runs with Python's cyclic collector off (a command is one short process;
bench/README "The collector after a big read"), turns it back on in the commands that run
until stopped, and gives an in-process caller its own setting back. (The library's own
pauses: test_stored_views.)"""

from __future__ import annotations

import gc
import json

import pytest
from conftest import invoke

from docket.api import EventLog

BASE = ["--type", "statement_published", "--stream", "s", "--occurred-at", "2021-02-08",
        "--data", '{"speaker": "MeitY", "summary": "a statement"}']


@pytest.fixture
def collector():
    """The collector on, as in a fresh process, and on again after the test."""
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def _spy(monkeypatch, method: str) -> list[bool]:
    """Record whether the collector is on in the command's own code, right after it called
    `EventLog.<method>` (whose own pause has ended by then)."""
    seen: list[bool] = []
    real = getattr(EventLog, method)

    def spy(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        seen.append(gc.isenabled())
        return out

    monkeypatch.setattr(EventLog, method, spy)
    return seen


@pytest.mark.usefixtures("collector")
@pytest.mark.parametrize("caller_collects", [True, False])
def test_a_command_runs_without_the_collector_and_gives_the_caller_its_setting(
        db_path, monkeypatch, caller_collects):
    assert invoke("append", "--db", db_path, *BASE)[0] == 0
    seen = _spy(monkeypatch, "state")
    (gc.enable if caller_collects else gc.disable)()
    code, out, err = invoke("state", "--db", db_path, "--json")
    assert code == 0, err
    assert json.loads(out)["stream"] == "s"
    assert seen == [False]
    assert gc.isenabled() is caller_collects


@pytest.mark.usefixtures("collector")
def test_an_error_gives_the_caller_its_setting_back(db_path):
    code, _, err = invoke("state", "--db", db_path, "--as-of", "2021-02-30")
    assert code != 0 and err.startswith("Error: "), err
    assert gc.isenabled()


@pytest.mark.usefixtures("collector")
@pytest.mark.parametrize("caller_collects", [True, False])
def test_following_the_log_collects_and_gives_the_caller_its_setting(
        db_path, monkeypatch, caller_collects):
    assert invoke("append", "--db", db_path, *BASE)[0] == 0
    seen: list[bool] = []
    real = EventLog.follow

    def follow(self, *args, **kwargs):
        for record in real(self, *args, **kwargs):
            seen.append(gc.isenabled())
            yield record
            raise KeyboardInterrupt  # Ctrl-C after the first record

    monkeypatch.setattr(EventLog, "follow", follow)
    (gc.enable if caller_collects else gc.disable)()
    code, out, err = invoke("log", "--db", db_path, "--follow", "--json")
    assert code == 0, err
    assert json.loads(out)["seq"] == 1
    assert seen == [True]
    assert gc.isenabled() is caller_collects


@pytest.mark.usefixtures("collector")
def test_serving_collects(db_path, monkeypatch):
    import docket.serve

    assert invoke("append", "--db", db_path, *BASE)[0] == 0
    seen: list[bool] = []

    class Server:
        notes: list[str] = []
        url = "http://127.0.0.1:1/"

        def run(self):
            seen.append(gc.isenabled())
            raise KeyboardInterrupt  # Ctrl-C

        def close(self):
            seen.append("closed")

    monkeypatch.setattr(docket.serve, "prepare_server", lambda db, host, port: Server())
    gc.disable()
    code, out, err = invoke("serve", "--db", db_path)
    assert code == 0, err
    assert out == Server.url + "\n"
    assert seen == [True, "closed"]
    assert not gc.isenabled()  # the caller's own setting, back


