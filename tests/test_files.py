"""Writing files (`docket.files`): whole or not at all, inside the folder given, one clear error.

Each failure is made for real where a test can make it: a missing folder; a directory given
as the file; a path whose parent is a regular file (ENOTDIR); a place nobody may write, even
root (sysfs refuses to create files in /sys/kernel whoever asks: the suite runs as root here,
where chmod stops nothing; as another user a folder of mode 0555 does it); a full disk,
simulated by RLIMIT_FSIZE in a child process (a write past the limit fails with EFBIG; Python
ignores the SIGXFSZ that would otherwise kill it) and by ENOSPC raised from `os.write`
(there is no small file system a test may mount). After every failure no temporary file is
left and a file already there is unchanged. Then every command with `-o`/`--out` is run
through the same failures: exit 1, one `Error:` line naming the path and the reason.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from docket.errors import StorageError
from docket.files import inside, write_atomic, write_inside

DOCKET = Path(sys.executable).with_name("docket")
IS_ROOT = os.geteuid() == 0


def leftovers(folder: Path) -> list[str]:
    """Temporary files left in `folder` (the writer names them `.NAME.XXXXXXXX.tmp`)."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def unwritable(tmp_path) -> Path:
    """A folder this process may not create a file in, whoever it runs as."""
    if IS_ROOT:
        folder = Path("/sys/kernel")
        probe = folder / "docket-probe"
        with pytest.raises(PermissionError):
            probe.open("xb")
        return folder
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


# -- the writer -------------------------------------------------------------------------------
def test_writes_bytes_and_chunks_whole_with_the_usual_mode(tmp_path):
    target = tmp_path / "out.bin"
    write_atomic(target, b"first")
    assert target.read_bytes() == b"first"
    write_atomic(str(target), (f"{i}\n".encode() for i in range(1000)))   # chunks, replaced
    assert target.read_text() == "".join(f"{i}\n" for i in range(1000))
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask   # not mkstemp's 0600
    assert leftovers(tmp_path) == []


def test_a_missing_folder(tmp_path):
    target = tmp_path / "no" / "such" / "out.json"
    with pytest.raises(StorageError) as caught:
        write_atomic(target, b"x")
    assert str(caught.value) == (f"cannot write {target}: the folder {target.parent} "
                                 "does not exist")
    assert not (tmp_path / "no").exists()


def test_a_directory_given_as_the_file(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(StorageError) as caught:
        write_atomic(tmp_path / "d", b"x")
    assert str(caught.value) == f"cannot write {tmp_path / 'd'}: it is a folder; give a file name"
    assert list((tmp_path / "d").iterdir()) == [] and leftovers(tmp_path) == []


def test_a_parent_that_is_a_regular_file(tmp_path):
    (tmp_path / "f").write_text("a file")
    target = tmp_path / "f" / "out.json"
    with pytest.raises(StorageError) as caught:
        write_atomic(target, b"x")
    assert str(caught.value) == (f"cannot write {target}: a part of {target.parent} is a "
                                 "file, not a folder")
    assert (tmp_path / "f").read_text() == "a file"


def test_a_place_nobody_may_write(unwritable):
    target = unwritable / "out.json"
    with pytest.raises(StorageError) as caught:
        write_atomic(target, b"x")
    assert str(caught.value) == (f"cannot write {target}: permission denied (the folder "
                                 f"{unwritable} is not writable)")
    assert not target.exists() and leftovers(unwritable) == []


_FULL_DISK = """
import resource, sys
from docket.errors import StorageError
from docket.files import write_atomic
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    write_atomic(sys.argv[1], [b"x" * 1000] * 100)
except StorageError as exc:
    print(exc)
    sys.exit(1)
"""


def test_a_full_disk_leaves_no_temporary_file_and_the_old_file_as_it_was(tmp_path):
    target = tmp_path / "export.jsonl"
    target.write_bytes(b"the old export\n")
    done = subprocess.run([sys.executable, "-c", _FULL_DISK, str(target)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stdout == (f"cannot write {target}: the file is larger than this process or "
                           "file system allows (a file size limit, or a full disk)\n")
    assert target.read_bytes() == b"the old export\n"
    assert leftovers(tmp_path) == []


def test_no_space_left_on_the_device(tmp_path, monkeypatch):
    # Where a file system allocates late, a full disk shows when the data is flushed.
    synced = []

    def fsync(fd):
        synced.append(os.fstat(fd).st_size)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync)
    target = tmp_path / "report.html"
    with pytest.raises(StorageError) as caught:
        write_atomic(target, [b"a" * 70_000, b"b" * 70_000])
    monkeypatch.undo()
    assert synced == [140_000]   # the whole file was written, then the flush failed
    assert str(caught.value) == (f"cannot write {target}: the disk is full (no space left on "
                                 "the device)")
    assert not target.exists() and leftovers(tmp_path) == []


def test_an_interrupted_write_leaves_nothing(tmp_path):
    def chunks():
        yield b"half of it"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "out", chunks())
    assert list(tmp_path.iterdir()) == []


# -- staying inside the folder ----------------------------------------------------------------
@pytest.mark.parametrize("name", [
    "../../../tmp/x/pwned/state.json", "../x", "a/../../x", "/etc/passwd", "a//b", "./a",
    "a/./b", "", "a\\..\\b", "a\0b",
])
def test_a_name_that_would_leave_the_folder_is_refused(tmp_path, name):
    out = tmp_path / "out" / "a" / "b"
    with pytest.raises(StorageError) as caught:
        write_inside(out, {"good/state.json": b"{}", name: b"pwned"})
    assert "inside the folder" in str(caught.value) or "outside the folder" in str(caught.value)
    # Every name is checked before anything is written: not even the good file is there.
    assert not (tmp_path / "out").exists()
    assert not Path("/tmp/x/pwned").exists()


def test_a_link_out_of_the_folder_is_refused(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "s").symlink_to(elsewhere)
    with pytest.raises(StorageError) as caught:
        write_inside(out, {"s/state.json": b"{}"})
    assert str(caught.value) == (f"cannot write 's/state.json' under {out}: it would land "
                                 f"outside the folder (at {elsewhere / 'state.json'})")
    assert list(elsewhere.iterdir()) == []
    assert inside(out, "t/state.json") == str(out / "t" / "state.json")


def test_write_inside_creates_folders_and_rewrites_only_what_changed(tmp_path):
    out = tmp_path / "new" / "projections"
    files = {"s1/a.json": b"1", "s1/b.json": b"2", "s2/a.json": b"3"}
    assert write_inside(out, files) == ["s1/a.json", "s1/b.json", "s2/a.json"]
    assert (out / "s2" / "a.json").read_bytes() == b"3"
    assert write_inside(out, {**files, "s1/b.json": b"22"}) == ["s1/b.json"]
    assert write_inside(out, files, only_changed=False) == sorted(files)
    (out / "s3").write_text("a file where a folder must go")
    with pytest.raises(StorageError) as caught:
        write_inside(out, {"s3/a.json": b"4"})
    assert str(caught.value) == (f"cannot write {out / 's3' / 'a.json'}: cannot create the "
                                 f"folder {out / 's3'}; a file is there, not a folder")
    with pytest.raises(StorageError) as caught:   # the folder given is itself a file
        write_inside(out / "s3", {"a.csv": b"4"})
    assert str(caught.value) == (f"cannot write {out / 's3' / 'a.csv'}: cannot create the "
                                 f"folder {out / 's3'}; a file is there, not a folder")


# -- every command that writes a file ---------------------------------------------------------
EVENTS = [
    {"type": "order_issued", "stream": "s", "occurred_at": "2021-02-01", "id": "o1",
     "data": {"order_id": "O-1", "issuer": "MeitY", "platform": "Twitter", "targets": ["@a"]}},
    {"type": "accounts_blocked", "stream": "s", "occurred_at": "2021-02-02", "id": "b1",
     "data": {"order_id": "O-1", "targets": ["@a"]}},
]


def docket(cwd, *args):
    return subprocess.run([str(DOCKET), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    folder = tmp_path_factory.mktemp("writers")
    (folder / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    assert docket(folder, "import", "--db", "d.db", "events.jsonl").returncode == 0
    assert docket(folder, "keygen", "--origin", "example.org/log", "-o", "log.key").returncode == 0
    assert docket(folder, "checkpoint", "--db", "d.db", "--sign", "log.key", "-o",
                  "cp.note").returncode == 0
    return folder


# Each command, given the place to write as OUT.
WRITERS = {
    "export": ("export", "--db", "d.db", "-o", "OUT"),
    "report": ("report", "--db", "d.db", "-o", "OUT"),
    "checkpoint": ("checkpoint", "--db", "d.db", "-o", "OUT"),
    "checkpoint --sign": ("checkpoint", "--db", "d.db", "--sign", "log.key", "-o", "OUT"),
    "prove": ("prove", "--db", "d.db", "o1", "-o", "OUT"),
    "cosign": ("cosign", "--db", "d.db", "--key", "w.key", "--old", "cp.note", "cp.note",
               "-o", "OUT"),
}


def _args(command: str, out) -> list:
    return [str(out) if a == "OUT" else a for a in WRITERS[command]]


def _fails(work, args, path, reason):
    done = docket(work, *args)
    assert done.returncode == 1, (args, done.stdout, done.stderr)
    assert done.stdout == ""
    assert done.stderr == f"Error: cannot write {path}: {reason}\n", args


@pytest.fixture(scope="module")
def witness(work):
    if not (work / "w.key").exists():
        assert docket(work, "keygen", "--witness", "--origin", "w.example", "-o",
                      "w.key").returncode == 0
    return work


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_every_file_writer_fails_with_one_clear_error(witness, command, unwritable):
    work = witness
    missing = work / "missing" / "out"
    _fails(work, _args(command, missing), missing, f"the folder {missing.parent} does not exist")
    (work / "a-folder").mkdir(exist_ok=True)
    _fails(work, _args(command, work / "a-folder"), work / "a-folder",
           "it is a folder; give a file name")
    _fails(work, _args(command, work / "events.jsonl" / "out"), work / "events.jsonl" / "out",
           f"a part of {work / 'events.jsonl'} is a file, not a folder")
    _fails(work, _args(command, unwritable / "out"), unwritable / "out",
           f"permission denied (the folder {unwritable} is not writable)")
    assert leftovers(work) == [] and list((work / "a-folder").iterdir()) == []
    # ... and with a place to write, it writes there, whole.
    done = docket(work, *_args(command, work / f"{command.replace(' ', '')}.out"))
    assert done.returncode == 0, done.stderr
    assert (work / f"{command.replace(' ', '')}.out").stat().st_size > 0
    assert leftovers(work) == []


def test_the_folder_writers_fail_with_one_clear_error(work, unwritable):
    for args in (("project", "--db", "d.db", "--out"), ("state", "--db", "d.db", "--csv", "-o")):
        (work / "plain-file").write_text("x")
        done = docket(work, *args, work / "plain-file" / "sub")
        assert done.returncode == 1 and done.stdout == "", done.stderr
        assert done.stderr.startswith(f"Error: cannot write {work / 'plain-file' / 'sub'}/"), \
            done.stderr
        assert done.stderr.count("\n") == 1 and "is a file, not a folder" in done.stderr
        done = docket(work, *args, unwritable / "sub")
        assert done.returncode == 1 and done.stdout == "", done.stderr
        assert done.stderr.startswith(f"Error: cannot write {unwritable / 'sub'}/")
        assert done.stderr.endswith(f": cannot create the folder {unwritable / 'sub'}; "
                                    f"permission denied (the folder {unwritable} is not "
                                    "writable)\n"), done.stderr


# The file size limit is set once the temporary file exists: the log itself (its -shm file)
# is opened before, and must not be what fails.
_FULL_DISK_CLI = """
import resource, sys
import docket.files as files
real = files._temporary
def limited(folder, name):
    made = real(folder, name)
    resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))
    return made
files._temporary = limited
from docket.cli import main
sys.argv = ["docket", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("command", ["export", "report"])
def test_a_full_disk_under_export_and_report(work, command):
    target = work / f"full-{command}.out"
    target.write_text("the file as it was\n")
    done = subprocess.run([sys.executable, "-c", _FULL_DISK_CLI, command, "--db", "d.db", "-o",
                           str(target)], cwd=work, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 1, done.stderr
    assert done.stderr == (f"Error: cannot write {target}: the file is larger than this "
                           "process or file system allows (a file size limit, or a full "
                           "disk)\n")
    assert target.read_text() == "the file as it was\n" and leftovers(work) == []
