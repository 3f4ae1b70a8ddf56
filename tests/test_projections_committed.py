"""CI's check that the committed projections/ equal a fresh replay of the committed events/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from record_log import chain_files

from docket import EventLog

ROOT = Path(__file__).resolve().parent.parent

# One log's chain split by stream: each file goes on from the one before (by first seq).
EVENT_FILES = chain_files()


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> EventLog:
    log = EventLog(str(tmp_path_factory.mktemp("projections") / "docket.db"))
    for path in EVENT_FILES:
        with open(path, "rb") as fh:
            log.import_lines(enumerate(fh, 1))
    return log


def test_every_recorded_stream_has_committed_projections(replayed):
    assert EVENT_FILES, "no recorded disputes under events/"
    for stream in replayed.streams():
        folder = ROOT / "projections" / stream
        assert (folder / "state.json").is_file(), f"projections/{stream} is missing"


def test_committed_projections_equal_a_fresh_replay(replayed):
    report = replayed.verify(projections=str(ROOT / "projections"))
    problems = [p["message"] for p in report["problems"]]
    assert report["ok"], "run `make projections` and commit the result:\n" + "\n".join(problems)


def test_an_edited_projection_would_be_caught(replayed, tmp_path):
    replayed.project(str(tmp_path))
    state = tmp_path / "twitter-india-2021" / "state.json"
    state.write_text(state.read_text().replace('"reverted"', '"complied"', 1))
    report = replayed.verify(projections=str(tmp_path))
    assert not report["ok"]
    assert any("state.json" in p["message"] or p.get("file", "").endswith("state.json")
               for p in report["problems"])


def test_the_makefile_imports_every_recorded_file_in_chain_order():
    text = (ROOT / "Makefile").read_text()
    listed = re.search(r"^EVENTS := (.*?)\n\n", text, re.S | re.M).group(1)
    names = re.findall(r"events/[\w.-]+\.jsonl", listed)
    assert names == [f"events/{p.name}" for p in EVENT_FILES]
