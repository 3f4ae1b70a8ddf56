"""The report's event list with sources, and the checkpoint of the log the page was made from
(the view tables are in `docket.report.sections`).
"""

from __future__ import annotations

from .format import DAY_US, day_label, esc, event_summary, is_http, number, type_colour

__all__ = ["DETAIL_ROWS", "checkpoint_block", "event_table"]

DETAIL_ROWS = 2000
"""In an aggregated page, at most this many events are listed one by one (whole types, in
order of importance); the others are summarised per day."""

# Which types an aggregated page lists one by one first (most telling first).
_DETAIL_TIERS = (
    ("event_retracted", "event_corrected"),
    ("order_issued",),
    ("challenge_filed", "ruling_issued"),
    ("notice_sent",),
    ("dialogue_requested", "meeting_held", "statement_published"),
    ("compliance_reported",),
    ("acknowledgement_sent",),
)


def _sources(record: dict) -> str:
    out = []
    for s in record.get("sources") or ():
        title = esc(s.get("title") or s.get("url") or "source")
        when = (f' <span class="published">{esc(s["published"])}</span>'
                if s.get("published") else "")
        if is_http(s.get("url")):
            out.append(f'<li><a href="{esc(s["url"])}" rel="noreferrer">{title}</a>{when}</li>')
        else:
            out.append(f"<li>{title}{when}</li>")
    return '<ul class="sources">' + "".join(out) + "</ul>" if out else ""


def _event_row(record: dict, anchor_day: str | None, frame: int) -> str:
    kind = record["type"]
    retraction = record.get("retracted")
    what = esc(event_summary(record))
    quote = record["data"].get("quote") if isinstance(record.get("data"), dict) else None
    if quote:
        what += f' <q class="quote">{esc(quote)}</q>'
    when = esc(record["occurred_at"])
    # A corrected event shows its corrected data and time; each correction says so, as
    # `docket log` marks it (its row, linked, carries the correction's sources).
    for c in record.get("corrected") or ():
        what += (f'<div class="correction">corrected by <a href="#ev-{c["seq"]}">#{c["seq"]}'
                 f'</a>: {esc(c["reason"])}</div>')
    if retraction is not None:
        what = (f"<del>{what}</del><div class=\"retraction\">retracted by "
                f"{esc(retraction['id'])}: {esc(retraction['reason'])}</div>")
        when = f"<del>{when}</del>"
    ids = f' id="d-{anchor_day}"' if anchor_day else ""
    cls = ' class="retracted"' if retraction is not None else ""
    return (f'<tr{cls} data-f="{frame}"><td class="when"{ids}><span id="ev-{record["seq"]}">'
            f"</span>{when}</td>"
            f'<td class="type"><span class="swatch" style="background:{type_colour(kind)}"></span>'
            f'{esc(kind)}</td><td class="actor">{esc(record.get("actor"))}</td>'
            f'<td class="what"><div class="summary">{what}</div>{_sources(record)}</td>'
            f'<td class="confidence">{esc(record.get("confidence"))}</td></tr>')


def _detailed_types(records: list[dict]) -> set[str]:
    """The types an aggregated page lists one by one: whole tiers, while they fit."""
    counts: dict[str, int] = {}
    for record in records:
        counts[record["type"]] = counts.get(record["type"], 0) + 1
    chosen: set[str] = set()
    total = 0
    for tier in _DETAIL_TIERS:
        n = sum(counts.get(k, 0) for k in tier)
        if total + n > DETAIL_ROWS:
            break
        chosen.update(tier)
        total += n
    return chosen


def event_table(records: list[dict], keys: list[int], aggregated: bool,
                frame_of: list[int] | None = None) -> str:
    """The event list, one row per event; `aggregated`: only the telling types one by one,
    the others counted per day. `keys` are the records' `time_key(occurred_at)`, `frame_of`
    their frames (`data-f`, for the date control)."""
    if frame_of is None:
        frame_of = [0] * len(records)
    head = ("<table class=\"events\"><thead><tr><th>occurred</th><th>type</th><th>actor</th>"
            "<th>what, and its sources</th><th>confidence</th></tr></thead><tbody>")
    rows: list[str] = []
    detailed = _detailed_types(records) if aggregated else None
    day_seen: set[int] = set()
    pending: dict[str, int] = {}
    pending_day: int | None = None
    pending_frame = 0

    def flush() -> None:
        if pending_day is None or not pending:
            return
        label = day_label(pending_day)
        anchor = "" if pending_day in day_seen else f' id="d-{label}"'
        day_seen.add(pending_day)
        what = ", ".join(f"{number(n)} {k}"
                         for k, n in sorted(pending.items(), key=lambda kv: -kv[1]))
        rows.append(f'<tr class="day-summary" data-f="{pending_frame}"><td class="when"{anchor}>'
                    f'{label}</td><td class="type">{number(sum(pending.values()))} events</td>'
                    "<td></td>"
                    f'<td colspan="2">{esc(what)} <span class="hint">(each one: '
                    f'<code>docket log --from {label} --as-of {label}</code>)</span></td></tr>')
        pending.clear()

    for record, t, frame in zip(records, keys, frame_of, strict=True):
        day = t // DAY_US
        if aggregated and day != pending_day:
            flush()
            pending_day, pending_frame = day, frame
        if detailed is None or record["type"] in detailed or record.get("retracted"):
            anchor = None
            if day not in day_seen:
                day_seen.add(day)
                anchor = day_label(day)
            rows.append(_event_row(record, anchor, frame))
        else:
            pending[record["type"]] = pending.get(record["type"], 0) + 1
    flush()
    if not rows:
        return '<p class="empty">No events in this selection.</p>'
    note = ""
    if aggregated:
        listed = sorted(detailed or ())
        note = (f'<p class="note">{number(len(records))} events: listed one by one are '
                f'{esc(", ".join(listed)) if listed else "retracted events only"}; '
                "the others are summarised per day.</p>")
    return note + head + "".join(rows) + "</tbody></table>"


# -- checkpoint ----------------------------------------------------------------------------
def checkpoint_block(cp: dict, view: dict) -> str:
    """The log's checkpoint and the stream's version, last seq and fingerprint."""
    items = [("log size (events)", cp.get("size")), ("Merkle root (RFC 6962)", cp.get("root")),
             ("head hash", cp.get("head"))]
    items += [(k, v) for k, v in cp.items() if k not in ("size", "root", "head")]
    items += [("stream version", view.get("version")),
              ("last seq in these views", view.get("last_seq")),
              ("views fingerprint", view.get("fingerprint"))]
    return '<dl class="checkpoint">' + "".join(
        f"<div><dt>{esc(k)}</dt><dd><code>{number(v) if isinstance(v, int) else esc(v)}"
        "</code></dd></div>" for k, v in items if v is not None) + "</dl>"
