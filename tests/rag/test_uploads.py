"""Upload checks: names can never escape $QBANK_HOME/uploads; type allow-list; size limit; per-file errors."""

from __future__ import annotations

import shutil

import pytest

from ingest.settings import Settings
from rag.uploads import UploadError, ingest_uploads, safe_name, save, target_path

BANK = "# 我的题库\n\n### 1. 什么是量子退火采样器？\n\n量子退火采样器利用隧穿效应在能量景观中寻找低能态。\n"


def _files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("name, expected", [
    ("bank.md", "bank.md"),
    ("../../x.md", "x.md"),
    ("..\\..\\x.md", "x.md"),
    ("/tmp/evil/../x.txt", "x.txt"),
    ("C:\\Users\\me\\题库 v2.docx", "题库 v2.docx"),
    ("C:x.md", "x.md"),
    ("a/b/../../../etc/cron.d/job.html", "job.html"),
    ("NOTES.MD", "NOTES.md"),
    ("we$ird;name|rm -rf.txt", "we_ird_name_rm -rf.txt"),
])
def test_safe_name_keeps_only_a_plain_file_name(name, expected):
    assert safe_name(name) == expected


@pytest.mark.parametrize("name, message", [
    ("/etc/passwd", "no file extension"),
    ("../../..", "no usable name"),
    ("..", "no usable name"),
    ("", "no usable name"),
    ("evil.md\x00.exe", "NUL or control character"),
    ("bank\x00.md", "NUL or control character"),
    ("bank\n.md", "NUL or control character"),
    ("script.py", "not allowed"),
    ("bank.md.exe", "not allowed"),
    ("archive.tar.gz", "not allowed"),
    (".md", "no file extension"),
])
def test_safe_name_refuses_unsafe_or_unsupported_names(name, message):
    with pytest.raises(UploadError, match=message):
        safe_name(name)


def test_long_names_are_cut_but_keep_their_type():
    name = safe_name("题" * 500 + ".md")
    assert name.endswith(".md") and len(name) <= 120


@pytest.mark.parametrize("name", ["../../x.md", "/etc/x.md", "..\\..\\x.md", "sub/dir/x.md", "./../x.md"])
def test_save_never_writes_outside_uploads(tmp_path, name):
    home = tmp_path / "home"
    settings = Settings.load(home=home)
    saved = save(settings, name, BANK.encode())
    assert saved.path == (home / "uploads" / "x.md").resolve()
    assert saved.path.read_text(encoding="utf-8") == BANK
    assert _files_under(tmp_path) == ["home/uploads/x.md"]
    assert target_path(settings, name).parent == settings.uploads_dir.resolve()


def test_save_refuses_oversize_files_and_writes_nothing(tmp_path):
    settings = Settings.load(home=tmp_path, upload_max_mb=1)
    big = tmp_path / "big.md"
    big.write_bytes(b"a" * (1024 * 1024 + 1))
    with pytest.raises(UploadError, match=r"over the 1 MB upload limit"):
        save(settings, "big.md", big)
    with pytest.raises(UploadError, match=r"over the 1 MB upload limit"):
        save(settings, "big.md", big.read_bytes())
    assert not settings.uploads_dir.exists() or not any(settings.uploads_dir.iterdir())


def test_save_refuses_empty_and_wrong_type(tmp_path):
    settings = Settings.load(home=tmp_path)
    with pytest.raises(UploadError, match="empty"):
        save(settings, "empty.md", b"")
    with pytest.raises(UploadError, match=r"'\.exe' is not allowed"):
        save(settings, "bank.exe", b"MZ\x90\x00")
    assert not settings.uploads_dir.exists() or not any(settings.uploads_dir.iterdir())


def test_save_replaces_an_earlier_upload_of_the_same_name(tmp_path):
    settings = Settings.load(home=tmp_path)
    save(settings, "bank.md", b"old")
    saved = save(settings, "../bank.md", b"new")
    assert saved.path.read_bytes() == b"new"
    assert _files_under(settings.uploads_dir) == ["bank.md"]


@pytest.fixture()
def upload_home(corpus_home, tmp_path):
    """A private copy of the corpus index (embeddings cached) to ingest uploads into."""
    home = tmp_path / "home"
    shutil.copytree(corpus_home, home)
    return home


@pytest.mark.integration
def test_ingest_uploads_indexes_good_files_and_names_the_bad_ones(upload_home):
    from rag.searcher import Searcher

    settings = Settings.load(home=upload_home)
    report = ingest_uploads(settings, [
        ("../../quantum.md", BANK.encode()),
        ("binary.txt", bytes(range(256)) * 40),
        ("evil\x00.md", b"x"),
        ("tool.exe", b"MZ"),
    ])
    assert [s.path.name for s in report.added] == ["quantum.md"]
    assert report.new_items == {"quantum.md": 1}
    assert report.items == 174
    errors = dict(report.errors)
    assert set(errors) == {"binary.txt", "evil\x00.md", "tool.exe"}
    assert "binary" in errors["binary.txt"] or "text" in errors["binary.txt"]
    # the bad file is moved out of the indexed folder, never left to fail again
    assert _files_under(settings.uploads_dir) == [".rejected/binary.txt", "quantum.md"]
    hits = Searcher(settings).search("量子退火采样器是什么").hits
    assert hits[0].item.file == "quantum.md" and hits[0].item.number == 1
