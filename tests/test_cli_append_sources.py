"""`docket append --type … --source-title/--source-url/--source-published/--source-quote`:
repeatable, paired in order, an empty value leaving one out; counts that do not line up are
a usage error that writes nothing (issue 19 item 1)."""

from __future__ import annotations

import json

import pytest
from conftest import export_of, invoke

BASE = ["--type", "dialogue_requested", "--stream", "s", "--occurred-at", "2021-02-08",
        "--data", '{"by": "Twitter", "addressee": "MeitY"}']


def _sources(db):
    (record,) = [json.loads(r) for r in export_of(db).splitlines()]
    return record["sources"]


def test_sources_are_paired_in_order(run_docket, db_path):
    code, out, err = run_docket(
        "append", "--db", db_path, *BASE,
        "--source-title", "Reuters: Twitter seeks talks", "--source-url", "https://example.org/r",
        "--source-published", "2021-02-08", "--source-quote", "",
        "--source-title", "The Hindu: Twitter writes to MeitY", "--source-url", "",
        "--source-published", "2021-02-09T08:00:00+05:30", "--source-quote", "we seek dialogue")
    assert (code, err) == (0, ""), err
    assert json.loads(out)["seq"] == 1
    assert _sources(db_path) == [
        {"title": "Reuters: Twitter seeks talks", "url": "https://example.org/r",
         "published": "2021-02-08"},
        {"title": "The Hindu: Twitter writes to MeitY", "published": "2021-02-09T08:00:00+05:30",
         "quote": "we seek dialogue"}]


def test_titles_alone_are_sources_with_a_title(db_path):
    code, out, err = invoke("append", "--db", db_path, *BASE, "--source-title", "A",
                            "--source-title", "B")
    assert code == 0, err
    assert _sources(db_path) == [{"title": "A"}, {"title": "B"}]


@pytest.mark.parametrize("extra,message", [
    (["--source-title", "A", "--source-title", "B", "--source-url", "https://example.org/a"],
     "1 --source-url for 2 --source-title: give each --source-* option once per "
     "source, in the same order ('' for a source without one)"),
    (["--source-title", "A", "--source-published", "2021-02-08", "--source-published",
      "2021-02-09"],
     "2 --source-published for 1 --source-title: give each --source-* option once "
     "per source, in the same order ('' for a source without one)"),
    (["--source-url", "https://example.org/a"], "each source needs a --source-title"),
], ids=["fewer urls", "more dates", "no title"])
def test_counts_that_do_not_line_up_are_a_usage_error(run_docket, db_path, extra, message):
    code, out, err = run_docket("append", "--db", db_path, *BASE, *extra)
    assert (code, out) == (2, "")
    assert err == f"Error: {message} (see docket append --help)\n"
    assert export_of(db_path) == b""


def test_a_bad_source_names_its_field_in_words(db_path):
    code, out, err = invoke("append", "--db", db_path, *BASE, "--source-title", "A",
                            "--source-published", "8 Feb 2021")
    assert (code, out) == (1, "")
    assert err == ("Error: event (dialogue_requested): field `sources[0].published`: "
                   "'8 Feb 2021' is not YYYY-MM-DD or an RFC 3339 time with offset\n")
    assert export_of(db_path) == b""


def test_source_options_with_a_file_are_a_usage_error(db_path, tmp_path):
    (tmp_path / "e.jsonl").write_text("")
    code, out, err = invoke("append", "--db", db_path, tmp_path / "e.jsonl",
                            "--source-title", "A")
    assert code == 2 and "--source-* options go with --type" in err
