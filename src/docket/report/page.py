"""`docket report`: one self-contained HTML page of a stream (issue 8).

The page holds a timeline (one mark per event on a date axis, coloured by type; one mark per
day when there are too many events to draw), the event list with sources, one chart per order
(targets blocked over time against the target count, deadline and notices marked), the
compliance table of SPEC §5 and the checkpoint of the log the page was made from.

Everything comes from the views: `EventLog.timeline`, `.state` and `.compliance`; the blocked
series of the charts is the views' own fold (see `docket.report.series`), so no counting
happens here. This module gathers them and assembles the page; its parts are drawn by
`report_timeline`, `report_order` and `report_table`, with `report_axis` and `report_format`
beneath them.

The page is plain HTML with inline CSS and inline SVG: no script, no font or image from the
network, the same bytes for the same log (no wall-clock time in it). Every text is escaped.
"""

from __future__ import annotations

from .format import DAY_US, day_label, esc
from .order import order_section
from .series import blocked_series, time_keys
from .table import checkpoint_block, compliance_table, event_table
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
tr.day-summary td{background:var(--band)}
section.order{margin:18px 0 26px;padding:14px 16px;border:1px solid var(--rule);border-radius:6px}
.status{font-size:12px;font-weight:600;padding:1px 8px;border-radius:10px;margin-left:6px;
 vertical-align:2px;background:#eaecee}
.status-complied{background:#d5f5e3}.status-partial{background:#fcf3cf}
.status-reverted{background:#fadbd8}.status-pending{background:#e5e8e8}
.order-chart .grid{stroke:#eaecee}.y-label{font-size:11px;text-anchor:end;fill:var(--muted)}
.blocked-line{fill:none;stroke:#e67e22;stroke-width:2.5;stroke-linejoin:round}
.target-line line{stroke:var(--ink);stroke-width:1.3;stroke-dasharray:6 4}
.target-label{font-size:12px;text-anchor:end;fill:var(--ink)}
.notice-line line{stroke:#8e44ad;stroke-width:1.5}
.notice-line.dense line{stroke-width:1;opacity:.35}
.more{font-weight:400;color:var(--muted);white-space:nowrap}
.notice-label{fill:#8e44ad}
.deadline-line line{stroke:#c0392b;stroke-width:1.8;stroke-dasharray:3 3}
.deadline-label{fill:#c0392b}.v-label{font-size:11px}
.report-mark{fill:#d4ac0d;stroke:#7d6608;stroke-width:1}
.report-label{font-size:11px;text-anchor:end;fill:#7d6608}.by{display:block;font-weight:400;
 font-size:12px;color:var(--muted)}
.chart-caption{font-size:12px;fill:var(--muted)}
dl.checkpoint div{display:flex;gap:12px;align-items:baseline}dl.checkpoint dt{width:190px;flex:none}
dl.figures,dl.checkpoint{display:grid;grid-template-columns:repeat(auto-fill,minmax(225px,1fr));
 gap:6px 14px;margin:10px 0 0}dl.checkpoint{grid-template-columns:1fr}
dl div{min-width:0}dt{font-size:11px;text-transform:uppercase;letter-spacing:.03em;
 color:var(--muted)}dd{margin:0;font-weight:600}dl.checkpoint dd{overflow-wrap:anywhere}
dl.checkpoint dd{font-weight:400}code{font-size:12px}
.scroll{overflow-x:auto}.compliance{font-size:12px}.compliance td{white-space:nowrap}
.compliance td,.compliance th{padding:5px 5px}
.compliance td.c-notices,.compliance td.c-first_action_at,
.compliance td.c-deadline{white-space:normal}.compliance td.c-notices{min-width:90px}
.empty{color:var(--muted);font-style:italic}
footer{margin-top:36px;color:var(--muted);font-size:12px}
@media print{main{max-width:none}section.order{break-inside:avoid}}
"""


def build_report(log, stream: str | None = None, as_of: str | None = None,
                 known_at: str | None = None) -> str:
    """The report page of one stream (the only one when `stream` is None), as HTML text.

    Reads the views of `log` (an `EventLog`) at `as_of`/`known_at`; the page is the same
    for the same log and arguments.
    """
    view = log.state(stream, as_of=as_of, known_at=known_at)
    stream = view["stream"]
    rows = log.compliance(stream, as_of=as_of, known_at=known_at)
    records = log.timeline(stream, as_of=as_of, known_at=known_at)
    return render_page(view, rows, records, checkpoint_of(log), as_of=as_of, known_at=known_at)


def render_page(view: dict, rows: list[dict], records: list[dict], cp: dict,
                as_of: str | None = None, known_at: str | None = None) -> str:
    """The page from what the views give: the SPEC §5 state view of the stream, its
    compliance rows, its timeline records (replay order, retractions marked) and the log's
    checkpoint. `as_of`/`known_at` are only shown (the selection was made by the caller).

    Nothing else goes in (no clock, no path), so the same inputs give the same bytes:
    `docket project` writes this page from a fresh fold and `docket verify` compares it.
    """
    stream = view["stream"]
    keys = time_keys(records)
    aggregated = len(records) > AGGREGATE_ABOVE
    series = blocked_series(records, stream, keys)

    days = len({k // DAY_US for k in keys})
    span = (f"from {day_label(min(keys) // DAY_US)} to {day_label(max(keys) // DAY_US)}"
            if keys else "")
    selection = (f"as of <code>{esc(as_of or 'now')}</code>, known at "
                 f"<code>{esc(known_at or 'now')}</code>")
    marks_note = (f"one mark per day ({days} days; bar height = events that day), "
                  f"since there are more than {AGGREGATE_ABOVE} events"
                  if aggregated else "one mark per event, stacked where they would overlap")
    retracted = sum(1 for r in records if r.get("retracted"))
    orders = "".join(order_section(r, series.get(r["order_id"]), view)
                     for r in rows) or '<p class="empty">No orders in this selection.</p>'
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Docket report: {esc(stream)}</title><style>{_CSS}</style></head><body><main>",
        f'<header><h1>Docket report: <span class="stream">{esc(stream)}</span></h1>',
        f'<p class="sub">{len(records)} events {span} on {days} days · {len(rows)} orders · '
        f"{retracted} retracted · {selection}</p></header>",
        '<h2 id="timeline">Timeline</h2>',
        f'<p class="note">Dates in UTC; {marks_note}. Long quiet stretches are cut from the '
        "axis (//). Hover a mark for its event; click it to jump to its row.</p>",
        timeline_svg(records, keys, aggregated),
        legend(records),
        '<h2 id="orders">Orders: targets blocked over time</h2>',
        orders,
        '<h2 id="compliance">Compliance (SPEC §5)</h2>',
        compliance_table(rows),
        '<h2 id="events">Events</h2>',
        event_table(records, keys, aggregated),
        '<h2 id="checkpoint">Checkpoint</h2>',
        '<p class="note">The log this page was made from; <code>docket checkpoint</code> and '
        "<code>docket verify --checkpoint</code> check a log against it.</p>",
        checkpoint_block(cp, view),
        "<footer>Made by <code>docket report</code> from the views of the log "
        "(the same as <code>docket log</code>, <code>docket state</code> and "
        "<code>docket compliance</code>). Self-contained: no scripts, nothing loaded from the "
        "network.</footer>",
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"
