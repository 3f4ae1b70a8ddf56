"""`EventLog`, the Python API of SPEC §8: the log with its stored views, queries and audit."""

from __future__ import annotations

from typing import Callable, Sequence

from .errors import InvalidEvent, UsageError
from .gcpause import paused_gc
from .log import Log
from .replay import Selection, amendments, ordered_records
from .storage.sqlite import stream_names
from .stored.maintain import StoredViews
from .times import parse_time, time_key
from .views import compliance_rows, diff_views, explain, reference_time

__all__ = ["EventLog"]


def _check_time(name: str, value: str | None) -> None:
    if value is not None:
        try:
            parse_time(value)
        except ValueError as exc:
            raise InvalidEvent(f"--{name.replace('_', '-')}: {exc}") from None


class EventLog(Log):
    """The log, its stored views and its audit, in one SQLite file.

    >>> log = EventLog("docket.db")                                  # doctest: +SKIP
    >>> log.append([{"type": "order_issued", ...}])                  # doctest: +SKIP
    >>> log.compliance("twitter-india-2021", as_of="2021-02-08")     # doctest: +SKIP
    """

    def __init__(self, path: str = "docket.db", *, create: bool = True) -> None:
        super().__init__(path, create=create)
        self.views = StoredViews(self.store)

    # -- views -------------------------------------------------------------------------
    def state(self, stream: str | None = None, as_of: str | None = None,
              known_at: str | None = None) -> dict:
        """SPEC §5 state of one stream (the only one when `stream` is None)."""
        _check_time("as_of", as_of)
        _check_time("known_at", known_at)
        # A view is a burst of small acyclic objects (a snapshot decoded and folded on, or
        # rows read back): with the collector on, an as-of query at 1M events took 1.7 times
        # as long (reading the stored view of 200k events, about a tenth longer).
        with self.store.read() as conn, paused_gc():
            stream = self._one_stream(conn, stream)
            return self._state_view(conn, stream, Selection(conn, as_of, known_at))

    def _state_view(self, conn, stream: str, selection: Selection) -> dict:
        if selection.is_current:
            # The tables kept with every append answer "now" without a fold.
            view = self.views.stored_view(conn, stream)
            if view is not None:
                return view
        state, amend = self.views.state(conn, stream, selection)
        return self.views.view_of(conn, stream, state, amend, selection.known_seq,
                                  selection.as_of, selection.known_at)

    def compliance(self, stream: str | None = None, as_of: str | None = None,
                   known_at: str | None = None) -> list[dict]:
        """SPEC §5 compliance: one row per order (of every stream when `stream` is None)."""
        _check_time("as_of", as_of)
        _check_time("known_at", known_at)
        with self.store.read() as conn, paused_gc():  # as in `state`
            streams = self._named_or_all(conn, stream)
            selection = Selection(conn, as_of, known_at)
            rows = []
            for name in streams:
                stored = self.views.stored_compliance(conn, name) if selection.is_current \
                    else None
                if stored is not None:
                    rows += stored
                    continue
                state, _ = self.views.state(conn, name, selection)
                rows += compliance_rows(state, stream=name,
                                        ref_time_us=reference_time(state, as_of))
        if len(streams) > 1:  # each stream's rows come sorted; merge them by issue time
            rows.sort(key=lambda r: (time_key(r["issued_at"]), r["stream"], r["order_id"]))
        return rows

    def timeline(self, stream: str | None = None, as_of: str | None = None,
                 known_at: str | None = None, since: str | None = None) -> list[dict]:
        """The records in replay order (`docket log`), corrected, retractions marked.

        Every stream when `stream` is None (merged in replay order); `since` keeps events
        that occurred at or after that time.
        """
        # `since` is `--from` on the command line, and errors name the option.
        for name, value in (("as_of", as_of), ("known_at", known_at), ("from", since)):
            _check_time(name, value)
        after = (time_key(since) - 1, 2**63 - 1) if since is not None else (-(2**63 - 1), 0)
        with self.store.read() as conn:
            streams = self._named_or_all(conn, stream)
            selection = Selection(conn, as_of, known_at)
            out = []
            for name in streams:
                amend = amendments(conn, name, selection.known_seq)
                out += ordered_records(conn, name, selection.known_seq, amend, after=after,
                                       until_us=selection.until_us, annotate=True)
        out.sort(key=lambda pair: pair[0])
        return [record for _, record in out]

    def why(self, ref: str, stream: str | None = None, as_of: str | None = None,
            known_at: str | None = None) -> dict:
        """Explain one fact (a target, an order_id or a notice_id): its status and the events,
        with their sources, that made it so (`docket why`)."""
        _check_time("as_of", as_of)
        _check_time("known_at", known_at)
        with self.store.read() as conn:
            stream = self._one_stream(conn, stream)
            selection = Selection(conn, as_of, known_at)
            amend = amendments(conn, stream, selection.known_seq)
            records = (r for _, r in ordered_records(conn, stream, selection.known_seq, amend,
                                                     until_us=selection.until_us))
            try:
                return explain(records, ref, stream=stream, as_of=as_of)
            except KeyError:
                raise InvalidEvent(f"REF: {ref!r} is not an order, notice or target in stream "
                                   f"{stream!r} at that time") from None

    def diff(self, from_: str, to: str, stream: str | None = None,
             known_at: str | None = None) -> list[dict]:
        """What changed in the views of a stream between as-of `from_` and as-of `to`."""
        _check_time("from", from_)
        _check_time("to", to)
        _check_time("known_at", known_at)
        with self.store.read() as conn, paused_gc():  # as in `state`
            stream = self._one_stream(conn, stream)
            before = self._state_view(conn, stream, Selection(conn, from_, known_at))
            after = self._state_view(conn, stream, Selection(conn, to, known_at))
        return diff_views(before, after)

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild every stored view and snapshot from the log; returns the stream count."""
        with self.store.write() as conn:
            return self.views.rebuild(conn, progress)

    def replay(self, stream: str | None = None,
               progress: Callable[[int], None] | None = None) -> dict[str, dict]:
        """Fold every stream (or `stream`) afresh from its first event, trusting no stored
        view or snapshot, and return each stream's SPEC §5 state view by name: the replay
        that `verify` compares the stored views with. Nothing is written."""
        from .fresh import replay_stream, with_progress

        with self.store.read() as conn:
            known_seq = Selection(conn).known_seq
            return {name: replay_stream(conn, self.views, name, known_seq,
                                        with_progress(None, progress)).view
                    for name in self._named_or_all(conn, stream)}

    def count(self) -> int:
        """How many events the log holds."""
        return self.store.conn.execute("SELECT count(*) FROM events").fetchone()[0]

    # -- audit ---------------------------------------------------------------------------
    def verify(self, checkpoint=None, projections=None, *, views: bool = True,
               progress: Callable[[int], None] | None = None, key: str | None = None,
               witnesses: Sequence[str] = (), min_witnesses: int | None = None) -> dict:
        """Audit the log (`docket verify`): `{"ok", "events", "problems"}`; see `docket.audit`.

        A signed checkpoint note as `checkpoint` needs the log's verifier key `key`; of the
        witnesses' verifier keys `witnesses`, `min_witnesses` (default all) must have
        cosigned it. A note that fails these raises InvalidProof before the audit runs."""
        from .audit.verify import verify

        if checkpoint is not None and not isinstance(checkpoint, (dict, tuple)):
            from .audit.keys import read_verifier
            from .audit.signing import note_checkpoint

            log_key = None if key is None else read_verifier(key, "--key")
            seen = [read_verifier(w, "--witness") for w in witnesses]
            checkpoint = note_checkpoint(checkpoint, log_key, seen, min_witnesses) or checkpoint
        elif key is not None or witnesses:
            raise UsageError("--key and --witness check a signed checkpoint: give --checkpoint")
        return verify(self, checkpoint, projections, views=views, progress=progress)

    def sign_checkpoint(self, key_path: str,
                        progress: Callable[[int], None] | None = None) -> str:
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

    def consistency_proof(self, old: str, new: str | None = None) -> str:
        """The consistency proof file from the note `old` to the note `new` (default: the
        latest kept signed checkpoint), computed from the log (`docket prove --old`)."""
        from .audit.signing import consistency_file

        return consistency_file(self, old, new)

    def checkpoint(self, progress: Callable[[int], None] | None = None) -> dict:
        """The log's checkpoint now (`docket checkpoint`): size, root, head, fingerprint."""
        from .audit.verify import checkpoint

        return checkpoint(self, progress=progress)

    def project(self, out_dir, progress: Callable[[int], None] | None = None) -> dict:
        """Write each stream's views as files under `out_dir` (`docket project`);
        `progress` is ticked twice per event (the fold, then the checkpoint's hashes)."""
        from .report.project import project

        return project(self, out_dir, progress=progress)

    # -- helpers ---------------------------------------------------------------------------
    def _named_or_all(self, conn, stream: str | None) -> list[str]:
        """[stream] when one is named (and the log has it), else every stream."""
        if stream is None:
            return stream_names(conn)
        self._require_stream(conn, stream)
        return [stream]

    def _require_stream(self, conn, stream: str) -> None:
        if conn.execute("SELECT 1 FROM events WHERE stream = ? LIMIT 1", (stream,)).fetchone() is None:
            known = ", ".join(stream_names(conn)) or "none"
            raise InvalidEvent(f"--stream: no stream {stream!r} in the log (streams: {known})")

    def _one_stream(self, conn, stream: str | None) -> str:
        if stream is not None:
            self._require_stream(conn, stream)
            return stream
        streams = stream_names(conn)
        if len(streams) == 1:
            return streams[0]
        raise UsageError("give --stream: the log holds "
                         + (f"{len(streams)} streams: {', '.join(streams)}" if streams
                            else "no streams"))
