"""Where the PostgreSQL server binaries are, and which user runs them (tests/pgcluster.py).

* `find_bindir()`: the folder holding `initdb`, `pg_ctl` and `postgres`: `$DOCKET_PG_BINDIR`
  when that is set (and nowhere else, so a wrong value is reported, not papered over);
  otherwise `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin` (Debian's
  layout; `pg_config` comes with libpq-dev even without the server), then the folder of an
  `initdb` on PATH. `NotFound` says where it looked.
* `server_user()`: as root, the unprivileged account the server runs as (initdb, pg_ctl and
  postgres refuse root): `$DOCKET_PG_OSUSER`, else `postgres` (made by Debian's
  postgresql-common for running the server and owning its files), else `nobody`.
* `run_as(state, cmd)`: runs a server program as that user, in the cluster's folder.

Only the standard library, like pgcluster.py.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path

NEEDED = ("initdb", "pg_ctl", "postgres")
TIMEOUT_S = 60

class ClusterError(Exception):
    """The cluster could not be started, reached or stopped; the message says why."""


class NotFound(ClusterError):
    """The server binaries are not installed where we look."""


# ----------------------------------------------------------------------------- binaries

def _complete(d: str | os.PathLike | None) -> bool:
    return bool(d) and all(os.access(os.path.join(d, b), os.X_OK) for b in NEEDED)


def find_bindir() -> Path:
    """The folder holding initdb, pg_ctl and postgres; NotFound says where we looked."""
    explicit = os.environ.get("DOCKET_PG_BINDIR")
    if explicit:
        if _complete(explicit):
            return Path(explicit)
        raise NotFound(f"DOCKET_PG_BINDIR={explicit} does not hold {', '.join(NEEDED)}")
    looked = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if _complete(out):
            return Path(out)
        looked.append(f"pg_config --bindir ({out or 'no answer'})")
    else:
        looked.append("pg_config (not on PATH)")

    def version(d: str) -> tuple[int, ...]:
        m = re.search(r"/postgresql/([\d.]+)/bin$", d)
        return tuple(int(x) for x in m.group(1).split(".") if x) if m else ()

    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if _complete(d):
            return Path(d)
    looked.append("/usr/lib/postgresql/*/bin")
    initdb = shutil.which("initdb")
    if initdb and _complete(os.path.dirname(os.path.realpath(initdb))):
        return Path(os.path.realpath(initdb)).parent
    looked.append("initdb on PATH")
    raise NotFound("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in "
                   + ", ".join(looked)
                   + "; install them with `apt-get install postgresql` (Debian)")


# ----------------------------------------------------------------------------- users

def server_user() -> pwd.struct_passwd | None:
    """The unprivileged account the server runs as when we are root; None when we are not."""
    if os.geteuid() != 0:
        return None
    wanted = os.environ.get("DOCKET_PG_OSUSER")
    for name in ([wanted] if wanted else ["postgres", "nobody"]):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        if pw.pw_uid != 0:
            return pw
    raise ClusterError(f"running as root and no unprivileged user to run the server as "
                       f"(tried {wanted or 'postgres, nobody'}); set DOCKET_PG_OSUSER")


def _env(home: Path) -> dict[str, str]:
    """A clean environment: no PG* variable of ours leaks into initdb or the server."""
    return {"PATH": os.environ.get("PATH", os.defpath), "LC_ALL": "C", "LANG": "C",
            "HOME": str(home), "TZ": "UTC"}


def run_as(state: dict, cmd: list[str], timeout: float = TIMEOUT_S,
           check: bool = True) -> subprocess.CompletedProcess:
    """Run a server program as the cluster's user, in DIR (the server's user may not be
    able to enter our working directory)."""
    kw: dict = {}
    if state.get("uid") is not None and os.geteuid() == 0:
        kw = {"user": state["uid"], "group": state["gid"], "extra_groups": []}
    proc = subprocess.run(cmd, cwd=state["dir"], env=_env(Path(state["dir"])),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, **kw)
    if check and proc.returncode != 0:
        msg = (proc.stderr.strip() or proc.stdout.strip() or f"exit {proc.returncode}")
        raise ClusterError(f"{os.path.basename(cmd[0])} failed: {last_lines(msg)}")
    return proc


def last_lines(text: str, n: int = 3) -> str:
    """The last `n` non-empty lines of `text` on one line (for one-line errors)."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return " / ".join(lines[-n:])


def check_reachable(d: Path, pw: pwd.struct_passwd) -> None:
    """Every folder above `d` must let the server's user through (search permission)."""
    for parent in reversed(d.resolve().parents):
        try:
            st = parent.stat()
        except FileNotFoundError:  # made by start, as ours, open to others (umask allowing)
            break
        if st.st_uid == pw.pw_uid:
            ok = st.st_mode & 0o100
        elif st.st_gid == pw.pw_gid:
            ok = st.st_mode & 0o010
        else:
            ok = st.st_mode & 0o001
        if not ok:
            raise ClusterError(
                f"the server runs as {pw.pw_name}, who cannot enter {parent} (mode "
                f"{oct(st.st_mode & 0o777)}); put the cluster under a folder open to others, "
                f"e.g. `mktemp -d /tmp/docket-pg.XXXXXX`")
