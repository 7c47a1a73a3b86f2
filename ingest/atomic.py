"""One way to replace a file so a reader sees the old bytes or the new, never half of them."""

from __future__ import annotations

import os
from pathlib import Path


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` (text is UTF-8) next to ``path`` under a name private to this process, then
    ``os.replace`` it over ``path``; on any failure the temp file is removed and ``path`` is untouched.

    >>> import tempfile; p = Path(tempfile.mkdtemp()) / "a.txt"
    >>> atomic_write(p, "一"); atomic_write(p, b"two"); p.read_bytes(), sorted(x.name for x in p.parent.iterdir())
    (b'two', ['a.txt'])
    """
    path = Path(path)
    tmp = path.with_name(f"{path.stem}.tmp{os.getpid()}{path.suffix}")
    try:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
