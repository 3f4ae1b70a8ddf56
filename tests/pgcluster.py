"""A throwaway PostgreSQL cluster for Docket's tests and benchmarks (issue 15, section 7).

    python tests/pgcluster.py start DIR [--stop-when-gone PID]
    python tests/pgcluster.py url DIR [--tcp]      # the URL to connect with
    python tests/pgcluster.py env DIR              # `export DOCKET_TEST_PG=...` lines
    python tests/pgcluster.py restart DIR          # pg_ctl restart (for the fault tests)
    python tests/pgcluster.py stop DIR [--keep]    # stop the server, then delete DIR
    python tests/pgcluster.py bindir               # where the server binaries are, or why not

Only the standard library: `make test` runs it before anything else is known to work, and
it is importable (`start`, `stop`, `restart`, `url`, `find_bindir`) by conftest.py and bench/.

What it does:

* **Finds the server binaries** (`initdb`, `pg_ctl`, `postgres`; tests/pgbin.py says
  where it looks: `$DOCKET_PG_BINDIR`, `pg_config --bindir`, `/usr/lib/postgresql/*/bin`,
  PATH).
* **`start`** runs `initdb` into DIR/data and starts the server with `pg_ctl`. DIR must be
  empty or missing; it is made mode 0700 and holds everything: the data, the server's log
  (DIR/server.log), the Unix socket, and DIR/cluster.json (how to reach and stop it).
  The server listens on a Unix socket in DIR (`local` connections: trust) and on 127.0.0.1
  at a free port picked at random (`host` connections: scram-sha-256 with a random
  password for the superuser `postgres`, kept in cluster.json, mode 0600). Trust on the
  socket is safe enough for a throwaway cluster because only the server's user and root
  can enter DIR; the loopback port is reachable by every local user, hence the password.
* **As root** (this machine and CI), `initdb`, `pg_ctl` and `postgres` refuse to run, so
  they run as the `postgres` user (created by Debian's postgresql-common, meant for running
  the server and owning its files), or `nobody` where there is no such user, or the user
  named by `$DOCKET_PG_OSUSER`. DIR is chowned to that user, and every folder above DIR
  must let it through (a `mktemp -d` under /tmp does; pytest's tmp_path, mode 0700, does
  not): `start` checks, and says which folder is in the way. Root, the test process,
  connects through the socket (root can enter DIR) as the database user `postgres`.
* **Settings** are PostgreSQL's durable defaults: `fsync`, `synchronous_commit` and
  `full_page_writes` on. The issue's benchmarks compare a durable single append with
  SQLite's `synchronous=FULL`, which is meaningless on a server that does not flush, and
  on this machine a flushed commit costs ~0.2 ms against ~0.1 ms without (CREATE DATABASE
  ~0.1 s either way), so the speed bought by turning durability off is not worth a server
  that behaves unlike the one users run. Only initdb runs with `--no-sync` (a crash during
  initdb loses a throwaway cluster, nothing else). The rest is for reproducible tests:
  C locale and UTF-8 (byte-order collation, English messages), TimeZone UTC, server log
  in DIR/server.log, the settings written into postgresql.conf so `pg_ctl restart` keeps
  them.
* **`stop`** stops the server (`-m fast`, then `-m immediate`, then SIGKILL of the
  postmaster), then deletes DIR (unless `--keep`). It does nothing to a folder without a
  cluster.json (but remove it when empty), so it is safe to call twice, and after a failed
  `start`. `make test` calls
  it from a shell trap (exit, Ctrl-C, TERM, HUP); `--stop-when-gone PID` starts a watcher
  in its own session that stops the cluster once PID (the recipe's shell) is gone, so even
  a SIGKILL of make's shell leaves no server running.

Exit status: 0 ok; 1 a failure, one line `pgcluster: ...` on stderr; 3 the server binaries
were not found (the line says where it looked), so `make test` can tell "not installed"
from "broken".
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pgbin import (ClusterError, NotFound, check_reachable, find_bindir, last_lines, run_as,
                   server_user)

__all__ = ["ClusterError", "NotFound", "find_bindir", "start", "stop", "restart", "url",
           "info"]

SUPERUSER = "postgres"
STATE = "cluster.json"
START_TIMEOUT_S = 60
SETTINGS = {
    # The durable defaults, stated so a reader sees them (see the module docstring).
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "100",  # 8 writer processes, a follower, pytest, the bench: plenty
    "timezone": "'UTC'",
    "log_timezone": "'UTC'",
    "lc_messages": "'C'",
    "logging_collector": "off",  # pg_ctl -l writes the log to DIR/server.log
    "log_min_messages": "warning",
    "log_connections": "off",
}


# ----------------------------------------------------------------------------- state

def info(d: str | os.PathLike) -> dict:
    """What cluster.json says about the cluster in `d`; ClusterError when there is none."""
    p = Path(d) / STATE
    try:
        return json.loads(p.read_text())
    except FileNotFoundError:
        raise ClusterError(f"no cluster in {d} (no {STATE}); run `start {d}` first") from None


def _save(state: dict) -> None:
    p = Path(state["dir"]) / STATE
    tmp = p.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(state, f, indent=2)
    os.replace(tmp, p)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def url(d: str | os.PathLike, tcp: bool = False, dbname: str = "postgres") -> str:
    """The URL of database `dbname` in the cluster in `d`: through the Unix socket (trust,
    no password), or with `tcp` through 127.0.0.1 with the superuser's password."""
    from urllib.parse import quote

    s = info(d)
    if tcp:
        return (f"postgresql://{SUPERUSER}:{quote(s['password'], safe='')}@127.0.0.1:"
                f"{s['port']}/{dbname}")
    return (f"postgresql://{SUPERUSER}@/{dbname}?host={quote(s['socket_dir'], safe='/')}"
            f"&port={s['port']}")


# ----------------------------------------------------------------------------- start

def start(d: str | os.PathLike, stop_when_gone: int | None = None) -> dict:
    """initdb into `d`/data and start the server; returns the cluster's state (cluster.json).

    Raises NotFound when the binaries are missing, ClusterError for anything else; after a
    failure, `stop(d)` cleans up whatever was made.
    """
    t0 = time.monotonic()
    bindir = find_bindir()
    d = Path(d).absolute()
    if len(str(d / ".s.PGSQL.65535").encode()) > 107:  # sun_path is 108 bytes on Linux
        raise ClusterError(f"{d} is too long a path for a Unix socket; use a shorter folder")
    pw = server_user()
    if pw is not None:
        check_reachable(d, pw)
    d.mkdir(parents=True, exist_ok=True)
    if any(d.iterdir()):
        raise ClusterError(f"{d} is not empty; start needs an empty or missing folder")
    version = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True,
                             text=True).stdout.strip()
    state = {
        "dir": str(d), "datadir": str(d / "data"), "socket_dir": str(d), "log": str(d / "server.log"),
        "bindir": str(bindir), "version": version, "port": None, "user": SUPERUSER,
        "os_user": pw.pw_name if pw else None, "uid": pw.pw_uid if pw else None,
        "gid": pw.pw_gid if pw else None, "password": secrets.token_urlsafe(18),
        "watcher_pid": None, "started": False,
    }
    os.chmod(d, 0o700)
    _save(state)  # first, so that stop() can clean up after any failure below
    if pw is not None:
        os.chown(d, pw.pw_uid, pw.pw_gid)
    pwfile = d / "pwfile"
    pwfile.write_text(state["password"] + "\n")
    if pw is not None:
        os.chown(pwfile, pw.pw_uid, pw.pw_gid)
    try:
        run_as(state, [str(bindir / "initdb"), "-D", state["datadir"], "-U", SUPERUSER,
                     f"--pwfile={pwfile}", "--auth-local=trust",
                     "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"],
             timeout=300)
    finally:
        pwfile.unlink(missing_ok=True)
    conf = Path(state["datadir"]) / "postgresql.conf"
    base_conf = conf.read_text()
    last = ""
    for _attempt in range(5):  # the free port can be taken between our probe and the bind
        state["port"] = _free_port()
        settings = dict(SETTINGS, port=str(state["port"]),
                        unix_socket_directories=f"'{state['socket_dir']}'")
        conf.write_text(base_conf + "\n# docket tests (tests/pgcluster.py)\n"
                        + "".join(f"{k} = {v}\n" for k, v in settings.items()))
        _save(state)
        proc = run_as(state, [str(bindir / "pg_ctl"), "start", "-D", state["datadir"], "-l",
                            state["log"], "-w", "-t", str(START_TIMEOUT_S)],
                    timeout=START_TIMEOUT_S + 30, check=False)
        if proc.returncode == 0:
            break
        last = _log_tail(state) or proc.stderr.strip() or proc.stdout.strip()
        if "could not bind" not in last and "already in use" not in last:
            raise ClusterError(f"pg_ctl start failed: {last_lines(last)}")
    else:
        raise ClusterError(f"pg_ctl start failed five times: {last_lines(last)}")
    state["started"] = True
    state["start_seconds"] = round(time.monotonic() - t0, 3)
    _save(state)
    if stop_when_gone:
        state["watcher_pid"] = _spawn_watcher(d, stop_when_gone)
        _save(state)
    return state


def _log_tail(state: dict) -> str:
    try:
        return Path(state["log"]).read_text(errors="replace")[-2000:]
    except OSError:
        return ""


# ----------------------------------------------------------------------------- stop

def _postmaster_pid(state: dict) -> int | None:
    try:
        return int(Path(state["datadir"], "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(d: str | os.PathLike, keep: bool = False) -> bool:
    """Stop the cluster in `d` and delete `d` (unless `keep`). Returns False when there was
    no cluster there (nothing done but removing `d` if it is empty); raises ClusterError if
    the server would not die."""
    d = Path(d).absolute()
    try:
        state = info(d)
    except ClusterError:
        if not keep and d.is_dir() and not any(d.iterdir()):
            d.rmdir()  # the folder of a start that failed before it wrote anything
        return False
    watcher = state.get("watcher_pid")
    if watcher and watcher != os.getpid():
        try:
            os.kill(watcher, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    pg_ctl = str(Path(state["bindir"]) / "pg_ctl")
    if Path(state["datadir"], "postmaster.pid").exists():
        for mode in ("fast", "immediate"):
            proc = run_as(state, [pg_ctl, "stop", "-D", state["datadir"], "-m", mode, "-w",
                                "-t", "30"], timeout=60, check=False)
            if proc.returncode == 0 or "Is server running?" in proc.stderr:
                break
        pid = _postmaster_pid(state)
        if pid and _alive(pid):
            try:  # pg_ctl made the postmaster a session leader: its group holds the backends
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                os.kill(pid, signal.SIGKILL)
            for _ in range(50):
                if not _alive(pid):
                    break
                time.sleep(0.1)
            else:
                raise ClusterError(f"the postmaster (pid {pid}) would not stop")
    if not keep:
        shutil.rmtree(d, ignore_errors=True)
    return True


def restart(d: str | os.PathLike, mode: str = "fast") -> None:
    """`pg_ctl restart` of the cluster in `d` (the fault tests restart it under writers)."""
    state = info(d)
    run_as(state, [str(Path(state["bindir"]) / "pg_ctl"), "restart", "-D", state["datadir"],
                 "-m", mode, "-l", state["log"], "-w", "-t", str(START_TIMEOUT_S)],
         timeout=START_TIMEOUT_S + 60)


# ----------------------------------------------------------------------------- watcher

def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks (/proc), so a reused pid is not mistaken."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[19]


def _spawn_watcher(d: Path, pid: int) -> int:
    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "_watch", str(d), str(pid),
         _start_time(pid) or "-"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, close_fds=True, cwd="/")
    return proc.pid


def _watch(d: str, pid: int, started: str) -> None:
    """Poll until `pid` is gone (or is another process), then stop the cluster in `d`."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while (Path(d) / STATE).exists():
        now = _start_time(pid)
        if not _alive(pid) or (started != "-" and now is not None and now != started):
            stop(d)
            return
        time.sleep(0.5)


# ----------------------------------------------------------------------------- command line

def _parser():
    import argparse

    p = argparse.ArgumentParser(prog="python tests/pgcluster.py",
                                description="A throwaway PostgreSQL cluster for Docket's tests.")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="initdb into DIR and start the server")
    s.add_argument("dir")
    s.add_argument("--stop-when-gone", type=int, metavar="PID",
                   help="stop the cluster once process PID has exited")
    s = sub.add_parser("url", help="print the URL (Unix socket, trust; --tcp: loopback)")
    s.add_argument("dir")
    s.add_argument("--tcp", action="store_true")
    s.add_argument("--dbname", default="postgres")
    s = sub.add_parser("env", help="print export lines for DOCKET_TEST_PG, _TCP and _DIR")
    s.add_argument("dir")
    s = sub.add_parser("restart", help="pg_ctl restart (fast)")
    s.add_argument("dir")
    s = sub.add_parser("stop", help="stop the server and delete DIR")
    s.add_argument("dir")
    s.add_argument("--keep", action="store_true", help="keep DIR (data and log)")
    sub.add_parser("bindir", help="print where the server binaries are")
    s = sub.add_parser("_watch")  # internal: the --stop-when-gone watcher
    s.add_argument("dir")
    s.add_argument("pid", type=int)
    s.add_argument("started")
    return p


def main(argv: list[str]) -> int:
    a = _parser().parse_args(argv)
    try:
        if a.cmd == "bindir":
            print(find_bindir())
        elif a.cmd == "start":
            s = start(a.dir, stop_when_gone=a.stop_when_gone)
            print(f"pgcluster: {s['version']} in {s['dir']} (port {s['port']}, running as "
                  f"{s['os_user'] or 'this user'}), started in {s['start_seconds']:.2f} s",
                  file=sys.stderr)
        elif a.cmd == "url":
            print(url(a.dir, tcp=a.tcp, dbname=a.dbname))
        elif a.cmd == "env":
            print(f"export DOCKET_TEST_PG='{url(a.dir)}'")
            print(f"export DOCKET_TEST_PG_TCP='{url(a.dir, tcp=True)}'")
            print(f"export DOCKET_TEST_PG_DIR='{Path(a.dir).absolute()}'")
        elif a.cmd == "restart":
            restart(a.dir)
        elif a.cmd == "stop":
            stop(a.dir, keep=a.keep)
        elif a.cmd == "_watch":
            _watch(a.dir, a.pid, a.started)
    except NotFound as exc:
        print(f"pgcluster: {exc}", file=sys.stderr)
        return 3
    except (ClusterError, OSError, subprocess.SubprocessError) as exc:
        print(f"pgcluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
