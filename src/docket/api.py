"""`EventLog`, the Python API of SPEC §8: the log with its stored views, queries and audit.

It composes three parts: the `Log` (append and read), the `StoredViews` (applied to what
each append wrote, in the same transaction) and the audit. Errors name the arguments of
these methods (`as_of`, `stream`); the command line maps them to its options.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable, Iterator, Sequence

from .arguments import query_times
from .catalog import Event
from .codec import check_after_seq
from .errors import InvalidArgument, MissingArgument, Unavailable, about, spelled
from .gcpause import collector_paused
from .log import Log, Receipt
from .nothing_in_view import nothing_in_view
from .projection import Cited
from .ref_hints import ref_hint
from .replay import fold_stream, records_in_order, replay_stream, with_progress
from .stored.maintain import StoredViews
from .timeline import Amendments, Selection, amending_records, amendments, withdrawn_records
from .times import time_key
from .views import compliance_rows, diff_views, explain, reference_time, with_amendments

__all__ = ["EventLog"]

Progress = Callable[[int], None]


class EventLog:
    """The log, its stored views and its audit, in one database (a SQLite file, or a
    PostgreSQL database given as a `postgresql://` URL).

    >>> log = EventLog("docket.db")                                  # doctest: +SKIP
    >>> log.append([{"type": "order_issued", ...}])                  # doctest: +SKIP
    >>> log.compliance("twitter-india-2021", as_of="2021-02-08")     # doctest: +SKIP
    """

    def __init__(self, location="docket.db", *, create: bool = True) -> None:
        self.log = Log(location, create=create)
        self.storage = self.log.storage
        self.path = self.log.path
        self.views = StoredViews(self.storage)

    # -- writing ---------------------------------------------------------------------------
    @collector_paused
    def append(self, events: Iterable[dict | Event], expected_version: int | None = None, *,
               stream: str | None = None, lines: Iterable[int] | None = None,
               progress: Progress | None = None) -> list[Receipt]:
        """Append events atomically (SPEC §2): every one is appended (or found a duplicate)
        or none; the stored views are brought up to date in the same transaction.

        `expected_version` checks the version of the batch's single stream before it;
        `stream` fills in events that name none; `lines` numbers them for error messages.
        """
        return self._write(self.log.decode(events, lines), expected_version, stream, progress)

    @collector_paused
    def import_lines(self, numbered_lines: Iterable[tuple[int, bytes]], *,
                     stream: str | None = None,
                     progress: Progress | None = None) -> list[Receipt]:
        """Import JSONL lines: input events, or exported records (kept exactly, hashes
        included), as one atomic batch."""
        return self._write(self.log.decode_lines(numbered_lines), None, stream, progress)

    def _write(self, decoded, expected_version, stream, progress) -> list[Receipt]:
        try:
            with self.storage.writing():
                appended = self.log.write(decoded, expected_version, stream, progress)
                self.views.apply(appended.touched, appended.rows)
        except BaseException:
            self.views.abandoned()
            raise
        self.views.committed()
        return appended.receipts

    @collector_paused
    def rebuild(self, progress: Progress | None = None) -> int:
        """Rebuild every stored view and snapshot from the log; returns the stream count."""
        with self.storage.writing():
            return self.views.rebuild(progress)

    # -- reading the log -------------------------------------------------------------------
    def read(self, stream: str | None = None, after_seq: int = 0,
             limit: int | None = None) -> Iterator[dict]:
        """Records (dicts, `hash` included) in seq order after `after_seq`, streamed in
        pages; a suspended reader holds no transaction."""
        return self.log.read(stream, after_seq, limit)

    def follow(self, after_seq: int = 0, stream: str | None = None,
               poll: float = 1.0) -> Iterator[dict]:
        """Every record after `after_seq` in seq order, then each new one as it commits,
        none skipped or repeated, until the caller stops (SPEC §6 `log --follow`).

        Writers commit in seq order (the chain has one writer at a time), so reading on from
        the last seq seen never skips an event; between commits nothing is held. `poll` is
        the longest wait before looking again (a backend that can be woken wakes sooner).
        A server that restarts or goes out of reach meanwhile is waited for, `poll` seconds
        at a time, and the records go on from the last one given."""
        check_after_seq(after_seq)
        return self._follow(after_seq, stream, poll)

    def _follow(self, last: int, stream: str | None, poll: float) -> Iterator[dict]:
        while True:
            try:
                for record in self.log.read(None, last):
                    last = record["seq"]
                    if stream is None or record["stream"] == stream:
                        yield record
                self.storage.wait_for_commit(last, poll)
            except Unavailable:  # read on from `last` on the storage's next connection
                time.sleep(poll)

    def export_lines(self, stream: str | None = None) -> Iterator[bytes]:
        """Exported JSONL lines (canonical records with `hash`), newline-terminated."""
        return self.log.export_lines(stream)

    def streams(self) -> list[str]:
        """The names of the streams in the log, sorted."""
        return self.log.streams()

    def stream_version(self, stream: str) -> int:
        """The current version of a stream (0 when it has no events)."""
        return self.log.stream_version(stream)

    def count(self) -> int:
        """How many events the log holds."""
        with self.storage.reading():
            return self.storage.count()

    def views_stale(self) -> str | None:
        """Why the stored views cannot be used (written by another version of the fold; the
        queries then fold from the log), or None."""
        with self.storage.reading():
            return self.views.stale()

    # -- views -------------------------------------------------------------------------
    @collector_paused
    def state(self, stream: str | None = None, as_of: str | None = None,
              known_at: str | None = None, public_at: str | None = None) -> dict:
        """SPEC §5 state of one stream (the only one when `stream` is None); with
        `public_at` the view also says it (a key after `known_at`, outside the
        fingerprint, like the other two times)."""
        as_of, known_at, public_at = query_times(as_of=as_of, known_at=known_at,
                                                  public_at=public_at)
        with self.storage.reading():
            stream = self._one_stream(stream)
            return self._state_view(stream, Selection(self.storage, as_of, known_at, public_at))

    def _state_view(self, stream: str, selection: Selection) -> dict:
        if selection.is_current:
            # The tables kept with every append answer "now" without a fold.
            view = self.views.stored_view(stream)
            if view is not None:
                return view
        state, amend = self._fold(stream, selection)  # a fold of its own: the view takes it
        view = self.views.view_of(stream, state, amend, selection.known_seq,
                                  selection.as_of, selection.known_at, consume=True,
                                  judged_at=selection.judged_at)
        if selection.public_at is None:
            return view
        keys = list(view)
        keys.insert(keys.index("known_at") + 1, "public_at")
        return {k: selection.public_at if k == "public_at" else view[k] for k in keys}

    def _fold(self, stream: str, selection: Selection) -> tuple[dict, object]:
        """(folded state, amendments) of `stream` for `selection`: from the stored views'
        snapshots, or with `public_at` from the first event (snapshots hold events that
        were not public yet)."""
        if selection.public_at is None:
            return self.views.state(stream, selection)
        reader = selection.reader(self.storage)
        amend = amendments(reader, stream, selection.known_seq)
        return fold_stream(reader, stream, selection.known_seq, amend,
                           until_us=selection.until_us)[0], amend

    @collector_paused
    def compliance(self, stream: str | None = None, as_of: str | None = None,
                   known_at: str | None = None, public_at: str | None = None) -> list[dict]:
        """SPEC §5 compliance: one row per order (of every stream when `stream` is None)."""
        as_of, known_at, public_at = query_times(as_of=as_of, known_at=known_at,
                                                  public_at=public_at)
        with self.storage.reading():
            streams = self._named_or_all(stream)
            selection = Selection(self.storage, as_of, known_at, public_at)
            rows = []
            for name in streams:
                stored = self.views.stored_compliance(name) if selection.is_current else None
                if stored is not None:
                    rows += stored
                    continue
                state, _ = self._fold(name, selection)
                rows += compliance_rows(state, stream=name,
                                        ref_time_us=reference_time(state, selection.judged_at))
        if len(streams) > 1:  # each stream's rows come sorted; merge them by issue time
            rows.sort(key=lambda r: (time_key(r["issued_at"]), r["stream"], r["order_id"]))
        return rows

    @collector_paused
    def timeline(self, stream: str | None = None, as_of: str | None = None,
                 known_at: str | None = None, since: str | None = None,
                 public_at: str | None = None) -> list[dict]:
        """The records in replay order (`docket log`), corrected, retractions marked.

        Every stream when `stream` is None (merged in replay order); `since` keeps events
        that occurred at or after that time.
        """
        as_of, known_at, since, public_at = query_times(
            as_of=as_of, known_at=known_at, since=since, public_at=public_at)
        after = (time_key(since) - 1, 2**63 - 1) if since is not None else (-(2**63 - 1), 0)
        with self.storage.reading():
            streams = self._named_or_all(stream)
            selection = Selection(self.storage, as_of, known_at, public_at)
            reader = selection.reader(self.storage)
            out = []
            for name in streams:
                amend = amendments(reader, name, selection.known_seq)
                out += records_in_order(reader, name, selection.known_seq, amend,
                                        after=after, until_us=selection.until_us)
        out.sort(key=lambda pair: pair[0])
        return [record for _, record in out]

    @collector_paused
    def why(self, ref: str, stream: str | None = None, as_of: str | None = None,
            known_at: str | None = None, public_at: str | None = None) -> dict:
        """Explain one fact (a target, an order_id, a notice_id or a case_id): its status and
        the events, with their sources, that made it so (`docket why`)."""
        as_of, known_at, public_at = query_times(as_of=as_of, known_at=known_at,
                                                  public_at=public_at)
        with self.storage.reading():
            stream = self._one_stream(stream)
            selection = Selection(self.storage, as_of, known_at, public_at)
            reader = selection.reader(self.storage)
            amending = amending_records(reader, stream, selection.known_seq)
            amend = Amendments(amending)

            def fold(on_fold):
                return fold_stream(reader, stream, selection.known_seq, amend,
                                   until_us=selection.until_us, on_fold=on_fold,
                                   record_type=Cited)[0]

            withdrawn = withdrawn_records(reader, amending, selection.known_seq)
            try:
                return with_amendments(explain(fold, ref, stream=stream,
                                               as_of=selection.judged_at), amending, withdrawn)
            except KeyError:
                timed = bool(as_of or known_at or public_at)
                nothing = timed and nothing_in_view(self.storage, [stream], selection)
                hint = ref_hint(self.storage, ref, stream, timed) + (
                    f": {nothing}" if nothing else "")
                raise InvalidArgument("ref", f"{{arg}}: {ref!r} is not an order, notice, case, "
                                      f"penalty, target or country in stream {stream!r}"
                                      f"{' at that time' if timed else ''}{hint}") from None

    @collector_paused
    def diff(self, from_: str, to: str, stream: str | None = None,
             known_at: str | None = None, public_at: str | None = None) -> list[dict]:
        """What changed in the views of a stream between as-of `from_` and as-of `to`."""
        from_, to, known_at, public_at = query_times(from_=from_, to=to, known_at=known_at,
                                                     public_at=public_at)
        with self.storage.reading():
            stream = self._one_stream(stream)
            before = self._state_view(stream, Selection(self.storage, from_, known_at,
                                                        public_at))
            after = self._state_view(stream, Selection(self.storage, to, known_at, public_at))
        return diff_views(before, after)

    def nothing_in_view(self, stream: str | None = None, as_of: str | None = None,
                        known_at: str | None = None, public_at: str | None = None, *,
                        spell: Callable[[str], str] = str) -> str | None:
        """Why a view of `stream` (every stream when None) at these times holds no event, its
        arguments named as `spell` names them (`docket.nothing_in_view`); None if one is."""
        as_of, known_at, public_at = query_times(as_of=as_of, known_at=known_at,
                                                  public_at=public_at)
        with self.storage.reading():
            text = nothing_in_view(self.storage, self._named_or_all(stream),
                                   Selection(self.storage, as_of, known_at, public_at))
        return None if text is None else spelled(text, spell)

    @collector_paused
    def replay(self, stream: str | None = None,
               progress: Progress | None = None) -> dict[str, dict]:
        """Fold every stream (or `stream`) afresh from its first event, trusting no stored
        view or snapshot, and return each stream's SPEC §5 state view by name: the replay
        that `verify` compares the stored views with. Nothing is written."""
        with self.storage.reading():
            known_seq = self.storage.known_seq()
            return {name: replay_stream(self.storage, name, known_seq,
                                        with_progress(None, progress), view_only=True).view
                    for name in self._named_or_all(stream)}

    # -- audit ---------------------------------------------------------------------------
    @collector_paused
    def verify(self, checkpoint=None, projections=None, *, views: bool = True,
               progress: Progress | None = None, key: str | None = None,
               witnesses: Sequence[str] = (), min_witnesses: int | None = None) -> dict:
        """Audit the log (`docket verify`): `{"ok", "events", "problems"}`; see
        `docket.audit.verify`.

        `key`, the log's verifier key, checks the signature of every signed checkpoint the
        log kept, and of a signed checkpoint note given as `checkpoint` (which needs it); of
        the witnesses' verifier keys `witnesses`, `min_witnesses` (default all) must have
        cosigned that note. A note that fails these raises InvalidProof before the audit."""
        from .audit.keys import read_log_verifier
        from .audit.verify import verify

        with about("key"):
            log_key = None if key is None else read_log_verifier(key, "{arg}")
        if checkpoint is not None and not isinstance(checkpoint, (dict, tuple)):
            from .audit.keys import read_verifier
            from .audit.signing import note_checkpoint

            with about("witnesses"):
                seen = [read_verifier(w, "{arg}") for w in witnesses]
            checkpoint = note_checkpoint(checkpoint, log_key, seen, min_witnesses) or checkpoint
        elif witnesses or min_witnesses is not None:
            raise MissingArgument("checkpoint", "witness keys check a signed checkpoint note's "
                                  "cosignatures: give {arg}")
        return verify(self, checkpoint, projections, views=views, progress=progress,
                      key=log_key)

    def sign_checkpoint(self, key_path: str, progress: Progress | None = None) -> str:
        """Sign the checkpoint now with the key file `key_path` (`docket checkpoint --sign`),
        keep the note in the log and return it (SPEC §7)."""
        from .audit.signing import sign_checkpoint

        return sign_checkpoint(self, key_path, progress)

    def signed_checkpoints(self) -> list[tuple[int, str]]:
        """Every signed checkpoint the log kept, as (size, note), oldest first."""
        from .audit.signing import signed_checkpoints

        return signed_checkpoints(self)

    def prove(self, event_id: str, checkpoint: str | None = None) -> str:
        """A c2sp.org/tlog-proof@v1 text for the event `event_id` (`docket prove`), under the
        note `checkpoint` (its text) or the latest kept signed checkpoint that covers it."""
        from .audit.signing import prove

        return prove(self, event_id, checkpoint)

    def consistency_proof(self, old: str, checkpoint: str | None = None) -> str:
        """The consistency proof file from the note `old` to the note `checkpoint` (default:
        the latest kept signed checkpoint), computed from the log (`docket prove --old`)."""
        from .audit.signing import consistency_file

        return consistency_file(self, old, checkpoint)

    @collector_paused
    def checkpoint(self, progress: Progress | None = None) -> dict:
        """The log's checkpoint now (`docket checkpoint`): size, root, head, fingerprint."""
        from .audit.checkpoint import checkpoint

        return checkpoint(self, progress=progress)

    @collector_paused
    def project(self, out_dir, progress: Progress | None = None) -> dict:
        """Write each stream's views as files under `out_dir` (`docket project`);
        `progress` is ticked twice per event (the fold, then the checkpoint's hashes)."""
        from .report.project import project

        return project(self, out_dir, progress=progress)

    def close(self) -> None:
        """Close the underlying database; later calls raise StorageError."""
        self.log.close()

    def __enter__(self) -> "EventLog":
        return self

    def __exit__(self, *exc_info) -> None:
        """`with EventLog(...) as log:` closes the log when the block ends."""
        self.close()

    # -- helpers (inside a transaction) --------------------------------------------------
    def _named_or_all(self, stream: str | None) -> list[str]:
        """[stream] when one is named (and the log has it), else every stream."""
        if stream is None:
            return self.storage.stream_names()
        self._require_stream(stream)
        return [stream]

    def _require_stream(self, stream: str) -> None:
        self.log.require_stream(stream)

    def _one_stream(self, stream: str | None) -> str:
        if stream is not None:
            self._require_stream(stream)
            return stream
        streams = self.storage.stream_names()
        if len(streams) == 1:
            return streams[0]
        if not streams:  # no stream to name: giving one cannot help
            raise InvalidArgument("stream", "the log holds no events yet (append or import "
                                  "first)")
        raise MissingArgument("stream", f"give {{arg}}: the log holds {len(streams)} streams: "
                              f"{', '.join(streams)}")
