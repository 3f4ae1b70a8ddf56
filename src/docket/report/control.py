"""The report's date control: its markup, the one inline script and the page's content policy.

The script reads the frames written by `docket.report.dated` (JSON in a
`<script type="application/json">`) and, for a chosen day, picks the latest frame on or before
it and shows that frame's rows and parts; it hides what has `data-f` (the frame a mark, event
row or chart mark first shows in) greater than it, and moves each order chart's cursor to the
end of the day (`data-d0` + days × `data-ppd`). It counts nothing and formats nothing: every
text it shows was written in Python. The day comes from the address (`#as-of=YYYY-MM-DD`) and
the control writes it back there, so a view can be linked. Without scripts the page is the
view now and the control stays hidden.

The page's Content-Security-Policy allows this script (by its SHA-256) and inline styles, and
nothing else: no request to the network can be made, by the page or by anything in it.
"""

from __future__ import annotations

import base64
import hashlib

from .dated import script_json
from .format import esc

__all__ = ["SCRIPT", "content_policy", "control_html", "scripts_html"]

SCRIPT = r"""(function () {
"use strict";
var data = JSON.parse(document.getElementById("asof-data").textContent);
var days = data.days, rows = data.rows, parts = data.parts;
var ctl = document.getElementById("asof"), input = document.getElementById("asof-date");
var slider = document.getElementById("asof-slider");
var line = document.getElementById("asof-status");
var now = document.getElementById("asof-now"), body = document.body, saved = null, shown = {};
var dayPattern = /^\d{4}-\d{2}-\d{2}$/;
function frameOf(day) {
  var lo = 0, hi = days.length;
  while (lo < hi) { var mid = (lo + hi) >> 1; if (days[mid] <= day) lo = mid + 1; else hi = mid; }
  return lo - 1;
}
function targets(id) {
  return [document.getElementById(id), document.getElementById("s" + id)].filter(Boolean);
}
function slots(el, col) {
  return el.tagName === "TR" ? (el.cells[col] ? [el.cells[col]] : [])
    : Array.prototype.slice.call(el.querySelectorAll('[data-c="' + col + '"]'));
}
function each(list, fn) { Array.prototype.forEach.call(list, fn); }
function save() {
  saved = {rows: {}, parts: {}};
  Object.keys(rows).forEach(function (id) {
    saved.rows[id] = targets(id).map(function (el) {
      var cells = el.tagName === "TR" ? el.cells : el.querySelectorAll("[data-c]");
      return [el.hidden, Array.prototype.map.call(cells, function (c) { return c.innerHTML; })];
    });
  });
  Object.keys(parts).forEach(function (id) {
    var el = document.getElementById(id);
    if (el) saved.parts[id] = [el.hidden, el.innerHTML];
  });
}
function restore() {
  if (!saved) return;
  Object.keys(saved.rows).forEach(function (id) {
    targets(id).forEach(function (el, i) {
      var s = saved.rows[id][i];
      var cells = el.tagName === "TR" ? el.cells : el.querySelectorAll("[data-c]");
      el.hidden = s[0];
      each(cells, function (c, j) { if (c.innerHTML !== s[1][j]) c.innerHTML = s[1][j]; });
    });
  });
  Object.keys(saved.parts).forEach(function (id) {
    var el = document.getElementById(id);
    el.hidden = saved.parts[id][0]; el.innerHTML = saved.parts[id][1];
  });
  shown = {};
}
function at(changes, k) {
  var cells = null;
  for (var i = 0; i < changes.length && changes[i][0] <= k; i++) {
    var c = changes[i][1];
    if (c === null) cells = null;
    else if (Array.isArray(c)) { cells = {}; c.forEach(function (h, j) { cells[j] = h; }); }
    else {
      cells = Object.assign({}, cells || {});
      Object.keys(c).forEach(function (j) { cells[j] = c[j]; });
    }
  }
  return cells;
}
function partAt(changes, k) {
  var html = null;
  for (var i = 0; i < changes.length && changes[i][0] <= k; i++) html = changes[i][1];
  return html;
}
function charts(dayNumber) {
  each(document.querySelectorAll("svg.order-chart"), function (svg) {
    var x0 = +svg.getAttribute("data-x0"), x1 = +svg.getAttribute("data-x1");
    var x = dayNumber === null ? x1
      : x0 + (dayNumber + 1 - svg.getAttribute("data-d0")) * svg.getAttribute("data-ppd");
    x = Math.max(x0, Math.min(x1, x));
    svg.querySelector("rect.clip").setAttribute("width", dayNumber === null ? "100%" : x);
    var shade = svg.querySelector("g.cursor rect"), mark = svg.querySelector("g.cursor line");
    shade.setAttribute("x", x); shade.setAttribute("width", x1 - x);
    mark.setAttribute("x1", x); mark.setAttribute("x2", x);
  });
}
function later(k) {
  each(document.querySelectorAll("[data-f]"), function (el) {
    el.classList.toggle("later", +el.getAttribute("data-f") > k);
  });
}
function showFrame(k) {
  Object.keys(rows).forEach(function (id) {
    var cells = at(rows[id], k);
    targets(id).forEach(function (el, t) {
      el.hidden = cells === null;
      if (cells === null) return;
      Object.keys(cells).forEach(function (col) {
        var key = id + ":" + t + ":" + col;
        if (shown[key] === cells[col]) return;
        slots(el, +col).forEach(function (s) { s.innerHTML = cells[col]; });
        shown[key] = cells[col];
      });
    });
  });
  Object.keys(parts).forEach(function (id) {
    var el = document.getElementById(id), html = partAt(parts[id], k);
    if (!el) return;
    el.hidden = html === null;
    if (html !== null && el.innerHTML !== html) el.innerHTML = html;
  });
}
function real(day) {
  if (!dayPattern.test(day)) return false;
  var d = new Date(day + "T00:00:00Z");
  return !isNaN(d) && d.toISOString().slice(0, 10) === day;
}
function show(day) {
  if (day === null) {
    restore(); later(Infinity); charts(null); body.classList.remove("dated");
    input.value = ""; slider.value = days.length - 1; line.textContent = data.now;
    return;
  }
  if (!saved) save();
  var k = frameOf(day);
  showFrame(k); later(k); charts(Date.parse(day + "T00:00:00Z") / 864e5);
  body.classList.add("dated");
  input.value = day; slider.value = Math.max(k, 0);
  var text = "As of " + day + ": " + (k < 0 ? data.before : data.status[k]);
  if (k >= 0 && days[k] !== day) {
    text += (data.stale && data.stale[k]) || " (nothing changed after " + days[k] + ")";
  }
  if (data.max && day > data.max) text += " " + data.beyond;
  line.textContent = text;
}
function setAddress(day) {
  var url = day === null ? location.pathname + location.search : "#as-of=" + day;
  try { history.replaceState(null, "", url); }
  catch (e) { if (day !== null) location.hash = "as-of=" + day; }
}
function fromAddress() {
  var hash = location.hash;
  if (hash.indexOf("#as-of=") !== 0) { if (!hash || hash === "#") show(null); return; }
  var day = decodeURIComponent(hash.slice(7));
  if (real(day)) { show(day); return; }
  show(null);
  line.textContent = "The address asks for the views as of \u201c" + day
    + "\u201d, which is not a day (YYYY-MM-DD): " + data.now;
}
function choose(day) { setAddress(day); show(day); }
input.addEventListener("change", function () { choose(real(input.value) ? input.value : null); });
slider.addEventListener("input", function () { choose(days[+slider.value]); });
now.addEventListener("click", function () { choose(null); });
window.addEventListener("hashchange", fromAddress);
ctl.hidden = false;
fromAddress();
}());
"""


def content_policy() -> str:
    """The page's Content-Security-Policy: this script, inline styles, nothing else."""
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    return (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
            "base-uri 'none'; form-action 'none'")


def control_html(days: list[str], first: str | None, last: str | None,
                 shown: str = "now") -> str:
    """The date control (hidden until the script runs) and what a reader without scripts
    is told instead (`shown`: which views the page holds, "now" or "as of 2021-02-08"...)."""
    if not days:
        return ""
    bounds = (f' min="{esc(first)}"' if first else "") + (f' max="{esc(last)}"' if last else "")
    return (
        '<div id="asof" class="asof" hidden><label>As of <input type="date" id="asof-date"'
        f'{bounds}></label><input type="range" id="asof-slider" min="0" max="'
        f'{len(days) - 1}" step="1" value="{len(days) - 1}" aria-label="the days on which '
        'something changed"><button type="button" id="asof-now">now</button>'
        '<output id="asof-status" for="asof-date asof-slider"></output></div>'
        f'<noscript><p class="note">These are the views {esc(shown)}. With scripts on, a '
        "date control here shows the timeline, the charts and the tables as of any day (also "
        "from the address: <code>report.html#as-of=YYYY-MM-DD</code>).</p></noscript>")


def scripts_html(data: dict) -> str:
    """The frames as JSON and the script that shows them."""
    return (f'<script type="application/json" id="asof-data">{script_json(data)}</script>'
            f"<script>{SCRIPT}</script>")
