"""The contract every storage backend passes (docket.storage.base.Storage), run on each.

Modelled on eventsourcing's recorder tests: the database itself enforces what the log
promises (gapless seq and versions, unique ids, immutability), a batch is all or nothing,
concurrent writers lose nothing and never interleave, readers are never blocked, and reading
streams in flat memory. `backend` (tests/conftest.py) gives each test a fresh, empty log
location on every backend, and `raw_sql(location, sql)` runs SQL past Docket, the way an
operator with a database client could.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import tracemalloc

import pytest
from soak import soak
from strategies import check_chain

from docket import EventLog
from docket.errors import InvalidEvent, StorageError
from docket.log import Log
from docket.storage import is_url, open_storage
from docket.storage.base import EventRow


def statement(stream: str, ident: str, day: int = 1, summary: str = "s") -> dict:
    return {"type": "statement_published", "stream": stream, "id": ident,
            "occurred_at": f"2021-02-{day:02d}", "data": {"speaker": "S", "summary": summary}}


def exported(location) -> list[bytes]:
    log = Log(location, create=False)
    try:
        return list(log.export_lines())
    finally:
        log.close()


# -- round trip, order, uniqueness ---------------------------------------------------------
def test_append_and_read_round_trip_and_export_import_identity(backend, backend_factory):
    log = EventLog(backend)
    events = [statement(f"s{i % 3}", f"e{i}", 1 + i % 20, f"summary {i} ✓") for i in range(60)]
    receipts = log.append(events)
    assert [r.seq for r in receipts] == list(range(1, 61))
    read = list(log.read())
    assert [r["id"] for r in read] == [e["id"] for e in events]
    assert [r["data"] for r in read] == [e["data"] for e in events]
    assert [r["hash"] for r in read] == [r.hash for r in receipts]
    # An export imported into an empty log, on any backend, reproduces it exactly.
    lines = list(log.export_lines())
    other = backend_factory()
    copy = EventLog(other)
    copy.import_lines(list(enumerate(lines, 1)))
    assert list(copy.export_lines()) == lines
    assert copy.checkpoint() == log.checkpoint()
    copy.close()
    log.close()


def test_seq_and_versions_are_gapless(backend):
    log = EventLog(backend)
    for n in range(5):
        log.append([statement(f"s{(n + i) % 2}", f"e{n}-{i}") for i in range(7)])
    records = list(log.read())
    assert [r["seq"] for r in records] == list(range(1, 36))
    for stream in ("s0", "s1"):
        versions = [r["version"] for r in records if r["stream"] == stream]
        assert versions == list(range(1, len(versions) + 1))
    assert check_chain([r for r in exported(backend)]) is not None
    log.close()


def test_the_database_refuses_a_duplicate_id_and_a_duplicate_version(backend):
    log = EventLog(backend)
    log.append([statement("s", "e1")])
    storage = open_storage(backend)
    before = exported(backend)
    head = None
    with storage.reading():
        head = storage.head()
    good = EventRow(head.seq + 1, "e2", "s", 2, "statement_published", 0, head.recorded_us,
                    b"{}", "00" * 32)
    for row in (good._replace(id="e1"),              # an id the log holds
                good._replace(version=1)):           # a version the stream has
        with pytest.raises(StorageError):
            with storage.writing():
                storage.insert_events([good._replace(seq=head.seq + 5, id="other",
                                                     version=9), row], [])
        assert exported(backend) == before  # the whole batch rolled back
    storage.close()
    log.close()


def test_update_and_delete_are_refused_by_the_database(backend, raw_sql):
    log = EventLog(backend)
    log.append([statement("s", "e1"), {"type": "order_issued", "stream": "s", "id": "o",
                                       "occurred_at": "2021-02-01", "data": {
                                           "order_id": "O", "issuer": "G", "platform": "P"}}])
    before = exported(backend)
    for sql in ("UPDATE events SET stream = 'x' WHERE seq = 1", "DELETE FROM events",
                "UPDATE refs SET seq = 9", "DELETE FROM refs"):
        with pytest.raises(Exception) as info:
            raw_sql(backend, sql)
        assert "docket:" in str(info.value)  # the immutability trigger's own message
    assert exported(backend) == before
    log.close()


def test_a_batch_failing_half_way_leaves_nothing(backend):
    log = EventLog(backend)
    log.append([statement("s", "e0")])
    before = exported(backend)
    bad = [statement("s", "e1"), statement("s", "e2"),
           {"type": "accounts_blocked", "stream": "s", "occurred_at": "2021-02-03",
            "data": {"order_id": "nope", "count": 1}}]
    with pytest.raises(InvalidEvent):
        log.append(bad)
    assert exported(backend) == before
    assert log.append([statement("s", "e1")])[0].seq == 2  # and the next append goes on
    log.close()


# -- concurrency ---------------------------------------------------------------------------
# Appends each of the ten processes makes (the PostgreSQL case was 17 s of make test at 100).
APPENDS = soak(50, 200)


def _append_many(location: str, n: int, start, appends: int) -> None:
    start.wait(60)
    log = EventLog(location)
    for i in range(appends):
        log.append([statement(f"p{n % 4}", f"p{n}-{i}")])
    log.close()


def test_ten_processes_appending_at_once_lose_nothing(backend):
    EventLog(backend).close()  # the schema, once
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_append_many, args=(backend, n, start, APPENDS))
             for n in range(10)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    lines = exported(backend)
    records = check_chain(lines)  # the chain links, hash by hash
    assert [r["seq"] for r in records] == list(range(1, 10 * APPENDS + 1))
    for n in range(10):  # each writer's events, all there, in its own order
        assert [r["id"] for r in records if r["id"].startswith(f"p{n}-")] == \
            [f"p{n}-{i}" for i in range(APPENDS)]
    for stream in {r["stream"] for r in records}:
        versions = [r["version"] for r in records if r["stream"] == stream]
        assert versions == list(range(1, len(versions) + 1))
    log = EventLog(backend)
    assert log.verify()["ok"]
    log.close()


def test_threads_sharing_one_eventlog_append_whole_batches(backend):
    log = EventLog(backend)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(60):
                log.append([statement("s", f"t{t}-{i}-{k}") for k in range(3)])
            # A failing batch from this thread writes nothing and raises.
            try:
                log.append([statement("s", f"t{t}-bad-1"), {"type": "nope"}])
            except InvalidEvent:
                pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    assert errors == []
    records = list(log.read())
    assert len(records) == 4 * 60 * 3
    ids = [r["id"] for r in records]
    assert not [i for i in ids if "bad" in i]
    for t in range(4):  # every batch whole, and its three events adjacent in seq
        for i in range(60):
            seqs = [r["seq"] for r in records if r["id"].startswith(f"t{t}-{i}-")]
            assert len(seqs) == 3 and seqs == list(range(seqs[0], seqs[0] + 3))
    assert log.verify()["ok"]
    log.close()


def _hold_write_lock(location: str, held, release) -> None:
    storage = open_storage(location)
    with storage.writing():
        head = storage.head()
        storage.insert_events([EventRow(head.seq + 1, "held", "s", 2, "statement_published",
                                        0, head.recorded_us, b"{}", "00" * 32)], [])
        held.set()
        release.wait(60)
        raise RuntimeError("roll back")


def test_a_reader_is_never_blocked_by_a_writer(backend):
    log = EventLog(backend)
    log.append([statement("s", "e1")])
    ctx = multiprocessing.get_context("spawn")
    held, release = ctx.Event(), ctx.Event()
    writer = ctx.Process(target=_hold_write_lock, args=(backend, held, release))
    writer.start()
    try:
        assert held.wait(60)
        started = time.monotonic()
        view = log.state("s")
        records = list(log.read())
        assert time.monotonic() - started < 5  # not waiting for the writer's lock
        assert view["version"] == 1 and [r["id"] for r in records] == ["e1"]
    finally:
        release.set()
        writer.join(60)
    assert [r["id"] for r in log.read()] == ["e1"]  # the writer rolled back
    log.close()


def test_reading_a_big_log_streams_in_flat_memory(backend):
    log = EventLog(backend)
    for chunk in range(6):
        log.append([statement("s", f"e{chunk}-{i}", summary="x" * 200) for i in range(5000)])

    def peak(limit: int) -> int:
        tracemalloc.start()
        n = 0
        for _ in log.read(limit=limit):
            n += 1
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert n == limit
        return top

    small, big = peak(5000), peak(30000)
    assert big < 2 * small + 1_000_000  # six times the events, about the same memory
    log.close()


def test_a_partial_read_never_blocks_a_later_append(backend):
    log = EventLog(backend)
    log.append([statement("s", f"e{i}") for i in range(5000)])
    reader = log.read()
    assert next(reader)["seq"] == 1
    other = EventLog(backend)
    other.append([statement("s", "while reading")])  # another handle: not blocked
    log.append([statement("s", "same handle")])
    assert sum(1 for _ in reader) == 5001
    other.close()
    log.close()


# -- the checks of the database itself (verify, and before the first write) ------------------
def test_a_sound_database_passes_its_own_checks_and_lists_every_ref(backend, raw_sql):
    """integrity_problems() and quick_check() find nothing on a sound log (a backend with no
    such check of its own returns [] by design); all_refs() lists every row of refs, also of
    a stream the log holds no event of, which is what lets verify report it."""
    log = EventLog(backend)
    log.append([{"type": "order_issued", "stream": "s", "occurred_at": "2021-02-01",
                 "id": "o1", "data": {"order_id": "O-1", "issuer": "G", "platform": "P",
                                      "targets": ["@a"]}},
                {"type": "event_retracted", "stream": "s", "occurred_at": "2021-02-02",
                 "id": "r1", "data": {"target_id": "o1", "reason": "void"}}])
    storage = log.storage
    with storage.reading():
        assert storage.integrity_problems() == []
        assert storage.quick_check() == []
        assert sorted(storage.all_refs()) == [("s", "event_retracted", "r1", 2),
                                              ("s", "order", "O-1", 1)]
    log.close()
    raw_sql(backend, "INSERT INTO refs VALUES ('ghost', 'order', 'O-9', 1)")
    log = EventLog(backend, create=False)
    with log.storage.reading():
        assert ("ghost", "order", "O-9", 1) in log.storage.all_refs()
    report = log.verify(views=False)
    assert [(p["kind"], p["seq"], p["row"]) for p in report["problems"]] == [
        ("index", 1, {"stream": "ghost", "kind": "order", "ref_id": "O-9"})]
    log.close()


def test_a_write_runs_the_quick_check_once_per_open_log(backend, monkeypatch):
    log = EventLog(backend)
    calls = []
    original = type(log.storage).quick_check
    monkeypatch.setattr(type(log.storage), "quick_check",
                        lambda self: calls.append(1) or original(self))
    for i in range(3):
        log.append([statement("s", f"e{i}")])
    assert calls == [1]
    monkeypatch.setattr(type(log.storage), "quick_check",
                        lambda self: ["a page is damaged"])
    log.close()
    if not is_url(backend):
        # SQLite records the check with its files (sqlite_record): as they are, the next
        # open log writes without checking again; changed, it checks.
        log = EventLog(backend)
        log.append([statement("s", "e3")])
        log.close()
        os.utime(backend)  # a change behind Docket's back
    log = EventLog(backend)
    with pytest.raises(StorageError, match="is damaged, so nothing was written: a page is "
                                           "damaged"):
        log.append([statement("s", "late")])
    log.close()
    monkeypatch.undo()
    n = 3 if is_url(backend) else 4
    assert [line.count(b'"id":"e') for line in exported(backend)] == [1] * n


@pytest.mark.parametrize("kept", ["further than the log", "another end", "no head line"])
def test_a_write_refuses_a_log_that_does_not_hold_its_last_signed_checkpoint(backend, kept):
    """The first write of an open log checks the checkpoint it signed last against the log
    (its size, and the hash of the event there): on every backend, a log that extends it
    takes new events; one that does not is refused, nothing written."""
    log = EventLog(backend)
    log.append([statement("s", f"e{i}") for i in range(3)])
    with log.storage.reading():
        head = log.storage.head()

    def keep(size: int, hash_: str | None) -> None:
        head_line = f"docket-head {hash_}\n" if hash_ else ""
        with log.storage.writing():
            log.storage.insert_checkpoint(size, f"o.example\n{size}\nAAAA\n{head_line}"
                                                "\n— o.example x\n")

    keep(3, head.hash)
    log.close()
    log = EventLog(backend)
    log.append([statement("s", "e3")])  # it extends the checkpoint: taken
    if kept == "further than the log":
        keep(9, head.hash)
        words = "its event at seq 9, the last of the checkpoint it signed last, is missing"
    elif kept == "another end":
        keep(4, "ab" * 32)
        words = "its event at seq 4 is not the one the checkpoint it signed last ends with"
    else:
        keep(4, None)
        words = "the checkpoint it signed last \\(size 4\\) has no docket-head line"
    log.close()
    log = EventLog(backend)
    with pytest.raises(StorageError, match=words):
        log.append([statement("s", "e4")])
    log.close()
    assert [line.count(b'"id":"e') for line in exported(backend)] == [1, 1, 1, 1]


def test_get_many_reads_the_rows_of_many_keys_in_one_query(backend):
    """The stored views read the fold entries an append touches all at once: the rows of
    the keys present (text a server cannot hold included), each once, none of the others,
    nothing for no keys; what `get` gives one at a time. Keys may span two columns, in
    more than one statement's worth; a read sees the transaction's own writes."""
    log = EventLog(backend)
    storage = log.storage
    keys = ["@a", "b\x00c", "\ufffe0", "ü", "x" * 300, *(f"k{i}" for i in range(1200))]
    with storage.writing():
        storage.upsert("docket_fold", [("s", "accounts", k, k.encode()) for k in keys])
        storage.upsert("docket_fold", [("s", "orders", "@a", b"an order"),
                                       ("t", "accounts", "@a", b"other stream")])
    asked = [*keys[:5], *keys[5::2], "missing", "@a"]  # "@a" twice
    with storage.reading():
        got = storage.get_many("docket_fold", ("s", "accounts"), [(k,) for k in asked],
                               ("value",))
        one_by_one = {k: storage.get("docket_fold", ("s", "accounts", k), ("value",))
                      for k in asked}
        pairs = storage.get_many("docket_fold", ("s",), [("accounts", "@a"), ("orders", "@a"),
                                                         ("orders", "ü")], ("value",))
        many = storage.get_many("docket_fold", ("s",), [("accounts", k) for k in keys],
                                ("value",))
        assert storage.get_many("docket_fold", ("s", "accounts"), [], ("value",)) == []
    present = set(asked) - {"missing"}
    assert sorted(got) == sorted((k, k.encode()) for k in present)
    assert {k: (bytes(v),) for k, v in got} == {
        k: (bytes(r[0]),) for k, r in one_by_one.items() if r is not None}
    assert sorted((kind, key, bytes(v)) for kind, key, v in pairs) == [
        ("accounts", "@a", b"@a"), ("orders", "@a", b"an order")]
    assert sorted((key, bytes(v)) for _, key, v in many) == sorted((k, k.encode()) for k in keys)
    with storage.writing():  # written, deleted and read back in one transaction
        storage.upsert("docket_fold", [("s", "accounts", "new", b"n")])
        storage.delete("docket_fold", [("s", "accounts", "@a")])
        seen = storage.get_many("docket_fold", ("s", "accounts"), [("new",), ("@a",)],
                                ("value",))
        assert [(k, bytes(v)) for k, v in seen] == [("new", b"n")]
    log.close()


def test_read_many_answers_what_each_read_answers(backend):
    """The reads an append makes together (`read_many`; one round trip on a server) answer
    what each read alone does, reads without a merged form included, in order; inside a
    write they see the transaction's own writes still waiting to be sent."""
    log = EventLog(backend)
    log.append([statement("s", "e1"), statement("s", "e2", 2),
                {"type": "event_retracted", "stream": "s", "id": "r1",
                 "occurred_at": "2021-02-03", "data": {"target_id": "e1", "reason": "r"}}])
    storage = log.storage
    kinds = ("event_corrected", "event_retracted")
    reads = [("get", ("docket_view_heads", ("s",), ("log_seq", "folded"))),
             ("amending_bodies", ("s", 10, kinds)), ("most_folded_snapshot", ("s",)),
             ("existing_ids", (["e1", "nope", "r1"],)), ("stream_version", ("s",)),
             ("stream_version", ("s", 1)), ("count", ()), ("get", ("docket_view_heads",
                                                                   ("none",), None))]
    with storage.reading():
        together = storage.read_many(reads)
        alone = [getattr(storage, name)(*args) for name, args in reads]
    assert together == alone
    assert together[0][0] == 3 and together[3] == {"e1", "r1"} and together[4] == 3
    assert [bytes(b).count(b'"event_retracted"') for b in together[1]] == [1]
    with pytest.raises(RuntimeError):  # rolled back: nothing of it stays
        with storage.writing():
            seq = storage.head().seq + 1
            storage.insert_events([EventRow(seq, "e9", "s", 4, "statement_published", 0,
                                            storage.head().recorded_us, b"{}", "00" * 32)], [])
            storage.upsert("docket_view_heads", [("s", 0, 0, 99, 7, b"{}")])
            got = storage.read_many(reads[:5])
            assert got[0] == (99, 7) and got[3] == {"e1", "r1"} and got[4] == 4
            assert storage.read_many([("existing_ids", (["e9"],)), ("count", ())]) == [
                {"e9"}, 4]
            raise RuntimeError
    with storage.reading():
        assert storage.read_many(reads) == alone
    log.close()
