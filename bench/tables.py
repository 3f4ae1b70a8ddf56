"""The harness's tables: each size's figures with the ratios and the targets of issue 16,
and how each figure grows across sizes."""

from __future__ import annotations

from typing import Any

__all__ = ["STORES", "checks_for", "growth", "print_growth", "print_table", "ratio"]

STORES = ["docket", "eventsourcing", "raw", "limit"]


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def checks_for(size_res: dict) -> list[dict]:
    """The targets of issue 16 that one size's figures can be held against."""
    d = size_res.get("docket", {})
    es = size_res.get("eventsourcing", {})
    raw = size_res.get("raw", {})
    lim = size_res.get("limit", {})
    out = []

    def add(name: str, value: float | None, op: str, target: float, note: str = "") -> None:
        if value is None:
            return
        ok = value >= target if op == ">=" else value <= target
        out.append({"name": name, "value": value, "target": f"{op} {target:g}", "ok": ok,
                    **({"note": note} if note else {})})

    add("batch append docket/eventsourcing", ratio(d.get("batch_eps"), es.get("batch_eps")), ">=", 2)
    add("batch append docket/limit", ratio(d.get("batch_eps"), lim.get("batch_eps")), ">=", 0.4)
    add("single append median docket/raw",
        ratio(d.get("single_median_ms"), raw.get("single_median_ms")), "<=", 2)
    add("single append p99 docket/raw median",
        ratio(d.get("single_p99_ms"), raw.get("single_median_ms")), "<=", 10)
    add("replay docket/eventsourcing", ratio(d.get("replay_eps"), es.get("replay_eps")), ">=", 4)
    add("replay docket/limit", ratio(d.get("replay_eps"), lim.get("replay_eps")), ">=", 0.45)
    add("as-of / full replay", ratio(d.get("asof_s"), d.get("replay_s")), "<=", 0.05,
        "target stated at 200k and 1M events")
    if size_res.get("events", 0) >= 1_000_000:
        add("state now s", d.get("state_now_s"), "<=", 0.5, "target stated at 1M events")
    add("replay peak RSS docket/eventsourcing",
        ratio(d.get("rss_peak_kb"), es.get("rss_peak_kb")), "<=", 1)
    add("verify events/s", d.get("verify_eps"), ">=", 600_000)
    add("docket append CLI wall s", d.get("cli_median_s"), "<=", 0.1)
    return out


# ------------------------------------------------------------------------------- printing

def fmt(v: Any, unit: str) -> str:
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if unit == "eps":
        return f"{v:,.0f}/s"
    if unit == "s":
        return f"{v * 1000:,.1f} ms" if v < 1 else f"{v:,.2f} s"
    if unit == "mb":
        return f"{v / 1024:,.0f} MB"
    if unit == "x":
        return f"{v:.2f}x"
    return str(v)


ROWS = [  # label, key, unit, compare with peers
    ("batch append", "batch_eps", "eps", True),
    ("durable single append", "single_eps", "eps", True),
    ("  median latency", "single_median_ms", "ms", True),
    ("  p99 latency", "single_p99_ms", "ms", True),
    ("full replay", "replay_eps", "eps", True),
    ("  replay time", "replay_s", "s", False),
    ("rebuild (replay + tables)", "rebuild_eps", "eps", False),
    ("as-of query (median)", "asof_s", "s", False),
    ("state now", "state_now_s", "s", False),
    ("verify", "verify_eps", "eps", False),
    ("checkpoint", "checkpoint_s", "s", False),
    ("`docket append` wall", "cli_median_s", "s", False),
    ("replay peak RSS", "rss_peak_kb", "mb", True),
    ("  RSS before replay", "rss_baseline_kb", "mb", True),
]


def print_table(n: int, res: dict) -> None:
    cols = ["figure", *STORES, "docket/es", "docket/raw", "docket/limit"]
    rows = []
    for label, key, unit, peers in ROWS:
        vals = []
        for s in STORES:
            r = res.get(s, {})
            v = r.get(key)
            if v is None and peers and ("not_measured" in r or "not_available" in r):
                vals.append("n/m")
            else:
                vals.append(f"{v:,.2f} ms" if unit == "ms" and v is not None else fmt(v, unit))
        if all(res.get(s, {}).get(key) is None for s in STORES):
            continue
        d, e, w, m = (res.get(s, {}).get(key) for s in STORES)
        higher = unit == "eps"
        rr = []
        for other in (e, w, m):
            q = (ratio(d, other) if higher else ratio(other, d)) if peers else None
            rr.append(fmt(q, "x"))
        if unit == "mb":  # for memory, show docket/peer as a plain ratio
            rr = [fmt(ratio(d, o), "x") if peers else "-" for o in (e, w, m)]
        rows.append([label] + vals + rr)
    widths = [max(len(str(r[i])) for r in rows + [cols]) for i in range(len(cols))]
    print(f"\n== {n:,} events ==")
    print("  ".join(c.ljust(widths[i]) for i, c in enumerate(cols)))
    for r in rows:
        print("  ".join(str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i])
                        for i, c in enumerate(r)))
    print("(docket/peer: speed ratio, >1 means docket is faster; latency, time and memory"
          " rows show peer/docket the same way, memory docket/peer)")
    for c in res.get("checks", []):
        v = f"{c['value']:.3f}"
        print(f"  target {c['name']}: {v} {c['target']}  {'ok' if c['ok'] else 'MISSED'}"
              + (f"  ({c['note']})" if c.get("note") else ""))
    for s in STORES:
        r = res.get(s, {})
        for why in ("not_available", "not_measured"):
            if why in r:
                print(f"  {s}: {why.replace('_', ' ')} ({r[why]})")
        for m, err in r.get("errors", {}).items():
            print(f"  {s} {m}: ERROR {err}")


def growth(results: dict) -> dict:
    """Each Docket figure across the sizes run, and the replay memory's growth."""
    sizes = sorted(int(k) for k in results)
    out: dict[str, Any] = {}
    for key in ("batch_s", "single_median_ms", "single_p99_ms", "replay_s", "rebuild_s", "asof_s", "state_now_s",
                "verify_s", "checkpoint_s", "cli_median_s", "rss_peak_kb"):
        for s in STORES:
            row = {str(n): ("not measured" if "not_measured" in results[str(n)].get(s, {})
                            else results[str(n)].get(s, {}).get(key)) for n in sizes}
            if any(v is not None and not isinstance(v, str) for v in row.values()):
                out.setdefault(key, {})[s] = row
    mem = [(n, results[str(n)].get("docket", {}).get("rss_peak_kb")) for n in sizes]
    mem = [(n, v) for n, v in mem if v]
    if len(mem) >= 2:
        big = [m for m in mem if m[0] >= 100_000] or mem
        lo = big[0] if len(big) >= 2 else mem[0]
        hi = mem[-1]
        if hi[0] > lo[0]:
            out["rss_flat"] = {"from": lo[0], "to": hi[0], "ratio": hi[1] / lo[1],
                               "target": "<= 1.25 (flat)", "ok": hi[1] / lo[1] <= 1.25}
    return out


def print_growth(g: dict, sizes: list[int]) -> None:
    if len(sizes) < 2 or not any(k != "rss_flat" for k in g):
        return
    units = {"batch_s": "s", "single_median_ms": "ms", "single_p99_ms": "ms", "replay_s": "s", "rebuild_s": "s",
             "asof_s": "s",
             "state_now_s": "s", "verify_s": "s", "checkpoint_s": "s", "cli_median_s": "s",
             "rss_peak_kb": "mb"}
    print("\n== growth ==")
    head = ["figure", "store"] + [f"{n:,}" for n in sizes]
    rows = []
    for key, per in g.items():
        if key == "rss_flat":
            continue
        for s, row in per.items():
            u = units[key]
            rows.append([key, s] + [
                (f"{row[str(n)]:,.2f} ms" if u == "ms" and isinstance(row[str(n)], float)
                 else fmt(row[str(n)], u)) for n in sizes])
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(str(c).ljust(widths[i]) if i < 2 else str(c).rjust(widths[i])
                        for i, c in enumerate(r)))
    if "rss_flat" in g:
        f = g["rss_flat"]
        print(f"  replay peak RSS {f['from']:,} -> {f['to']:,} events: {f['ratio']:.2f}x "
              f"(target {f['target']}: {'ok' if f['ok'] else 'MISSED'})")
