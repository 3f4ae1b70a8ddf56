"""`docket report`: one self-contained HTML page of a stream (issues 8 and 19).

The page holds a date control, a timeline (one mark per event on a date axis, coloured by
type; one mark per day when there are too many events to draw), one chart per order (targets
blocked over time against the target count, deadline and notices marked), the compliance
table of SPEC §5, the other parts of the state view (accounts, notices and dialogue,
challenges, penalties, service), the event list with sources and the checkpoint of the log
the page was made from.

Everything comes from the views: `EventLog.timeline`, `.state` and `.compliance` for the view
now, and one fold of the timeline read with the views' own functions at the end of each day
that can change them (`docket.report.frames`) for the date control, which only picks one of
those frames (`docket.report.control`). No counting happens here. This module gathers them
and assembles the page; its parts are drawn by `timeline`, `order`, `sections` and `table`,
with `dated`, `axis`, `labels` and `format` beneath them.

The page is plain HTML with inline CSS, inline SVG and one inline script (allowed by its hash
in the page's Content-Security-Policy, which forbids every request to the network), the same
bytes for the same log (no wall-clock time in it). Every text is escaped. Without scripts it
reads as the view now.
"""

from __future__ import annotations

import bisect
import re

from ..errors import as_flag
from ..gcpause import paused_gc
from ..timeline import stops_at
from ..times import upper_bound
from .control import content_policy, control_html, scripts_html
from .dated import Dated
from .format import DAY_US, count, day_label, esc, number
from .frames import build_frames
from .order import order_section
from .sections import compliance_columns, compliance_table, view_sections
from .series import blocked_series, time_keys
from .table import checkpoint_block, event_table
from .timeline import legend, timeline_svg

__all__ = ["AGGREGATE_ABOVE", "blocked_series", "build_report", "checkpoint_of", "render_page"]

AGGREGATE_ABOVE = 2000
"""More events than this: the timeline draws one mark per day (with its count)."""


def checkpoint_of(log) -> dict:
    """The log's checkpoint (`EventLog.checkpoint()`), as the page shows it."""
    return dict(log.checkpoint())


# -- the page ------------------------------------------------------------------------------
_CSS = """
:root{--ink:#1c2833;--muted:#5d6d7e;--rule:#d5d8dc;--bg:#fff;--band:#f4f6f7}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
 font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 10px;
 border-bottom:2px solid var(--ink);padding-bottom:4px}h3{font-size:16px;margin:0 0 2px}
.sub{color:var(--muted);margin:0 0 8px}.sub code{color:var(--ink)}
.note,.meta,.hint{color:var(--muted)}.meta{margin:0 0 6px}
svg{display:block;overflow:visible}svg text{font-family:inherit}
.axis{stroke:var(--ink);stroke-width:1}.tick{stroke:var(--ink)}
.tick-label{font-size:12px;text-anchor:middle;fill:var(--ink)}
.axis-break line{stroke:var(--ink);stroke-width:1.5}
.tl-mark{stroke-width:1.5}circle.tl-mark:hover,g.tl-mark:hover{opacity:.7}
.tl-retracted{stroke-dasharray:2 1.5}
.legend{list-style:none;padding:0;margin:8px 0 0;display:flex;flex-wrap:wrap;gap:4px 16px;
 font-size:13px}.legend .count{color:var(--muted)}
.swatch{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:5px;
 vertical-align:-1px}.swatch.hollow{border:1.5px dashed var(--ink);background:#fff}
table{border-collapse:collapse;width:100%;font-size:13px}
th{text-align:left;background:var(--band);font-weight:600;border-bottom:1px solid var(--rule)}
th,td{padding:5px 7px;vertical-align:top;border-bottom:1px solid var(--rule)}
td.when{white-space:nowrap;font-variant-numeric:tabular-nums}td.type{white-space:nowrap}
td.confidence{color:var(--muted)}
td.actor{max-width:170px}.summary{margin-bottom:3px}
q.quote{color:var(--muted);font-style:italic}
ul.sources{margin:0;padding-left:16px;font-size:12px}ul.sources li{margin:0 0 1px}
.published{color:var(--muted)}a{color:#1f618d}
tr.retracted td{background:#fdf2e9}del{text-decoration-thickness:1.5px}
.retraction{color:#a04000;font-weight:600;margin-top:2px}
.correction{color:#1a5276;margin-top:2px}
tr.day-summary td{background:var(--band)}
section.order{margin:18px 0 26px;padding:14px 16px;border:1px solid var(--rule);border-radius:6px}
.status{font-size:12px;font-weight:600;padding:1px 8px;border-radius:10px;margin-left:6px;
 vertical-align:2px;background:#eaecee}
.status-complied{background:#d5f5e3}.status-partial{background:#fcf3cf}
.status-reverted{background:#fadbd8}.status-pending{background:#e5e8e8}
.status-blocked,.status-suspended,.status-outstanding{background:#fadbd8}
.status-active,.status-available,.status-paid{background:#d5f5e3}.status-lifted{background:#eaecee}
h3 .status{font-size:12px}td .status{margin-left:0;padding:1px 6px}
.order-chart .grid{stroke:#eaecee}.y-label{font-size:11px;text-anchor:end;fill:var(--muted)}
.blocked-line{fill:none;stroke:#e67e22;stroke-width:2.5;stroke-linejoin:round}
.target-line line{stroke:var(--ink);stroke-width:1.3;stroke-dasharray:6 4}
.target-label{font-size:12px;fill:var(--ink)}
.notice-line line{stroke:#8e44ad;stroke-width:1.5}
.notice-line.dense line{stroke-width:1;opacity:.35}
.more{font-weight:400;color:var(--muted);white-space:nowrap}
.notice-label{fill:#8e44ad}
.deadline-line line{stroke:#c0392b;stroke-width:1.8;stroke-dasharray:3 3}
.deadline-label{fill:#c0392b}.v-label{font-size:11px}
.report-mark{fill:#d4ac0d;stroke:#7d6608;stroke-width:1}
.report-label{font-size:11px;fill:#7d6608}.by{display:block;font-weight:400;
 font-size:12px;color:var(--muted)}
.chart-caption{font-size:12px;fill:var(--muted)}
.v-label,.report-label,.target-label{paint-order:stroke;stroke:#fff;stroke-width:3px;
 stroke-linejoin:round}
dl.checkpoint div{display:flex;gap:12px;align-items:baseline}dl.checkpoint dt{width:190px;flex:none}
dl.figures,dl.checkpoint{display:grid;grid-template-columns:repeat(auto-fill,minmax(225px,1fr));
 gap:6px 14px;margin:10px 0 0}dl.checkpoint{grid-template-columns:1fr}
dl div{min-width:0}dt{font-size:11px;text-transform:uppercase;letter-spacing:.03em;
 color:var(--muted)}dd{margin:0;font-weight:600}dl.checkpoint dd{overflow-wrap:anywhere}
dl.checkpoint dd{font-weight:400}code{font-size:12px}
.scroll{overflow-x:auto}.compliance{font-size:12px}.compliance td{white-space:nowrap}
.compliance td,.compliance th{padding:5px 4px}
.compliance td.c-notices,.compliance td.c-first_action_at,
.compliance td.c-deadline{white-space:normal}.compliance td.c-notices{min-width:90px}
.empty,tr.none td{color:var(--muted);font-style:italic}
[hidden]{display:none!important}.later{display:none}
.asof{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;align-items:center;
 gap:6px 14px;margin:10px 0 0;padding:8px 12px;background:var(--band);
 border:1px solid var(--rule);border-radius:6px}
.asof input[type=range]{flex:1 1 260px;min-width:160px}.asof output{flex:1 1 100%;
 color:var(--muted)}
body:not(.dated) .cursor,body:not(.dated) .only-dated,body.dated .only-now{display:none}
.cursor .future{fill:#fff;opacity:.78}.cursor line{stroke:var(--ink);stroke-width:1.2;
 stroke-dasharray:2 2}
.compliance .by{display:none}.view-table{font-size:12px}.view-table td{white-space:nowrap}
.view-table td.c-rulings,.view-table td.c-order_ids{white-space:normal}
h3 + .scroll,h3 + p{margin-top:4px}div[id$="-section"] h3{margin-top:14px}
footer{margin-top:36px;color:var(--muted);font-size:12px}
@media print{main{max-width:none}section.order{break-inside:avoid}}
"""


def build_report(log, stream: str | None = None, as_of: str | None = None,
                 known_at: str | None = None, public_at: str | None = None) -> str:
    """The report page of one stream (the only one when `stream` is None), as HTML text.

    Reads the views of `log` (an `EventLog`) at `as_of`/`known_at`/`public_at`; the page is
    the same for the same log and arguments.
    """
    times = {"as_of": as_of, "known_at": known_at, "public_at": public_at}
    # The page is built from every record and frame at once (a 200k-event log's timeline
    # alone is 200k dicts, none cyclic): the collector would walk them at each of its passes.
    with paused_gc():
        view = log.state(stream, **times)
        stream = view["stream"]
        rows = log.compliance(stream, **times)
        records = log.timeline(stream, **times)
        # An empty page says which time left every event out, in the command's words.
        empty = None if records else log.nothing_in_view(stream, **times, spell=as_flag)
        return render_page(view, rows, records, checkpoint_of(log), **times, empty=empty)


def _coded(text: str) -> str:
    """`text` escaped, each `quoted` part set as code."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", esc(text))


def _status_lines(frames, dated: Dated, total: int) -> list[str]:
    """The control's line for each frame: what the views hold by the end of that day."""
    orders = dated.present.get("orders") or [0] * len(frames.days)
    return [f"{number(shown)} of {count(total, 'event')} on the timeline · "
            f"{count(n, 'order')}" for shown, n in zip(frames.shown, orders, strict=True)]


def render_page(view: dict, rows: list[dict], records: list[dict], cp: dict,
                as_of: str | None = None, known_at: str | None = None,
                public_at: str | None = None, empty: str | None = None) -> str:
    """The page from what the views give: the SPEC §5 state view of the stream, its
    compliance rows, its timeline records (replay order, retractions marked) and the log's
    checkpoint. `as_of`/`known_at` (and `public_at`, when given) are shown (the selection
    was made by the caller), and the date control holds no day after `as_of` (or an earlier
    `public_at`, where the views stop too); `empty`, when given, says why the selection
    holds no event (`EventLog.nothing_in_view`).

    Nothing else goes in (no clock, no path), so the same inputs give the same bytes:
    `docket project` writes this page from a fresh fold and `docket verify` compares it.
    """
    stream = view["stream"]
    keys = time_keys(records)
    aggregated = len(records) > AGGREGATE_ABOVE
    series = blocked_series(records, stream, keys)
    until = stops_at(as_of, public_at)  # where the views stop (a public_at view too)
    frames = build_frames(records, keys, stream, until)
    dated = Dated(frames)

    def frame_of(instant: int) -> int:
        return bisect.bisect_left(frames.days, instant // DAY_US)

    days = len({k // DAY_US for k in keys})
    span = (f"from {day_label(min(keys) // DAY_US)} to {day_label(max(keys) // DAY_US)}"
            if keys else "")
    # What the page's last frame is, in words: "now" only when no time was given.
    shown = ", ".join(f"{what} {at}" for what, at in (
        ("as of", as_of), ("as known at", known_at), ("public at", public_at)) if at) or "now"
    selection = (f"as of <code>{esc(until or 'now')}</code>, known at "
                 f"<code>{esc(known_at or 'now')}</code>"
                 + (f", public at <code>{esc(public_at)}</code>" if public_at else ""))
    marks_note = (f"one mark per day ({count(days, 'day')}; bar height = events that day), "
                  f"since there are more than {number(AGGREGATE_ABOVE)} events"
                  if aggregated else "one mark per event, stacked where they would overlap")
    retracted = sum(1 for r in records if r.get("retracted"))
    columns = compliance_columns(rows)
    table = compliance_table(dated, rows, columns)
    now = {row["order_id"]: row for row in rows}
    orders = "".join(order_section(i, now[oid], series.get(oid), view, columns, frame_of)
                     for i, oid in enumerate(dated.keys_of("orders", now)) if oid in now)
    orders = orders or '<p class="empty">No orders in this selection.</p>'
    sections = view_sections(dated, view)
    labels = frames.labels()
    last = day_label(upper_bound_day(until)) if until else (labels[-1] if labels else None)
    data = dated.data(_status_lines(frames, dated, len(records)))
    data.update(
        now=(f"Showing the views {shown}: {count(len(records), 'event')} · "
             f"{count(len(rows), 'order')}."),
        before=(f"nothing had happened yet (the first event is on {labels[0]})."
                if labels else ""),
        max=day_label(upper_bound_day(until)) if until else None,
        beyond=(f"(this page was made as of {until}: what happened later is not in it)"
                if until else ""),
        # A day after such a frame, before the next: a daily fine has accrued more than
        # the figures shown (the page has no frame for every one of its days).
        stale={k: f" (the figures are those of {labels[k]}: a daily fine has accrued more "
                  "since, which docket state --as-of that day gives)"
               for k in sorted(frames.stale)})
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{content_policy()}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Docket report: {esc(stream)}</title><style>{_CSS}</style></head><body><main>",
        f'<header><h1>Docket report: <span class="stream">{esc(stream)}</span></h1>',
        f'<p class="sub">{count(len(records), "event")} {span} on {count(days, "day")} · '
        f"{count(len(rows), 'order')} · {number(retracted)} retracted · {selection}</p>",
        control_html(labels, labels[0] if labels else None, last, shown),
        *([f'<p class="note empty-why">Nothing to show: {_coded(empty)}.</p>'] if empty else []),
        "</header>",
        '<h2 id="timeline">Timeline</h2>',
        f'<p class="note">Dates in UTC; {marks_note}. Long quiet stretches are cut from the '
        "axis (//). Hover a mark for its event; click it to jump to its row.</p>",
        timeline_svg(records, keys, aggregated, frames.record_frame),
        legend(records),
        '<h2 id="orders">Orders: targets blocked over time</h2>',
        orders,
        '<h2 id="compliance">Compliance</h2>',
        table,
        sections,
        '<h2 id="events">Events</h2>',
        event_table(records, keys, aggregated, frames.record_frame),
        '<h2 id="checkpoint">Checkpoint</h2>',
        '<p class="note">The log this page was made from; <code>docket checkpoint</code> and '
        "<code>docket verify --checkpoint</code> check a log against it.</p>",
        checkpoint_block(cp, view),
        "<footer>Made by <code>docket report</code> from the views of the log "
        "(the same as <code>docket log</code>, <code>docket state</code> and "
        "<code>docket compliance</code>). Self-contained: one inline script (the date "
        "control, which only shows views written here), nothing loaded from the network."
        "</footer>",
        "</main>",
        scripts_html(data) if labels else "",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def upper_bound_day(value: str) -> int:
    """The day number of the last day an `--as-of` value covers."""
    return upper_bound(value) // DAY_US
