import os

import pytest

from dsa110_dashboard.db.target import parse_database
from dsa110_dashboard.errors import (
    ForbiddenPathError,
    ImageReadError,
    NeverServedError,
    NotFoundError,
)
from dsa110_dashboard.files import DataRoots
from dsa110_dashboard.settings import Settings


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "data"
    (root / "images").mkdir(parents=True)
    inside = root / "images" / "a.fits"
    inside.write_bytes(b"x")
    outside = tmp_path / "secret.txt"
    outside.write_text("no")
    (root / "images" / "link.fits").symlink_to(outside)
    return root, inside, outside


def confined(raw, roots, **kwargs):
    return DataRoots.of(roots).confine(raw, **kwargs)


def test_file_under_a_root_is_returned_resolved(tree):
    root, inside, _ = tree
    assert confined(str(root / "images" / ".." / "images" / "a.fits"), [root]) == inside


@pytest.mark.parametrize("make", [
    lambda root, outside: str(outside),
    lambda root, outside: str(root / ".." / "secret.txt"),
    lambda root, outside: str(root / "images" / "link.fits"),
    lambda root, outside: "images/a.fits",
    lambda root, outside: "/etc/passwd",
])
def test_paths_escaping_the_roots_are_refused(tree, make):
    root, _, outside = tree
    with pytest.raises(ForbiddenPathError):
        confined(make(root, outside), [root])


def test_missing_file_under_a_root_is_not_found(tree):
    root, _, _ = tree
    with pytest.raises(NotFoundError):
        confined(str(root / "images" / "gone.fits"), [root])
    assert confined(str(root / "images" / "gone.fits"), [root], must_exist=False).name == \
        "gone.fits"


def test_a_root_that_is_a_prefix_string_is_not_a_parent(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data2").mkdir()
    (tmp_path / "data2" / "f").write_text("x")
    with pytest.raises(ForbiddenPathError):
        confined(str(tmp_path / "data2" / "f"), [tmp_path / "data"])


def test_a_nul_byte_in_a_registered_path_is_an_unreadable_image_not_a_crash(tree):
    root, inside, _ = tree
    for must_exist in (True, False):
        with pytest.raises(ImageReadError, match="NUL byte"):
            confined(str(inside) + "\0.fits", [root], must_exist=must_exist)


def test_a_symlink_loop_is_an_unreadable_image_with_the_reason(tree):
    root, _, _ = tree
    loop = root / "images" / "loop.image"
    loop.symlink_to(loop)
    with pytest.raises(ImageReadError, match="symbolic links"):
        confined(str(loop), [root])


def test_a_loop_pointing_outside_is_refused_before_anything_is_revealed(tree, tmp_path):
    root, _, _ = tree
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    (root / "images" / "out").symlink_to(tmp_path / "a")
    with pytest.raises(ForbiddenPathError) as caught:
        confined(str(root / "images" / "out"), [root])
    assert not isinstance(caught.value, ImageReadError)


@pytest.fixture
def served(tmp_path):
    """A data directory holding the dashboard's own database, sign-in store, users file
    and cache."""
    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    (data / "images" / "a.fits").write_bytes(b"SIMPLE  =")
    for name in ("pipeline.sqlite3", "pipeline.sqlite3-wal", "pipeline.sqlite3-shm",
                 "dashboard-auth.sqlite3"):
        (data / name).write_bytes(b"SQLite format 3\0")
    (data / "cache" / "thumbnails").mkdir(parents=True)
    (data / "cache" / "thumbnails" / "x.png").write_bytes(b"png")
    (data / "users.json").write_text('{"ana": "secret"}')
    settings = Settings.load(environ={"DSA110_DASH_DATA_DIR": str(data),
                                      "DSA110_DASH_DATA_ROOTS": str(data),
                                      "DSA110_DASH_BASIC_AUTH": str(data / "users.json")})
    target = parse_database(str(data / "pipeline.sqlite3"), "test", read_only=False)
    return data, DataRoots.for_server(settings, target)


@pytest.mark.parametrize("name", ["pipeline.sqlite3", "pipeline.sqlite3-wal",
                                  "pipeline.sqlite3-shm", "pipeline.sqlite3-journal",
                                  "dashboard-auth.sqlite3", "users.json", "cache",
                                  "cache/thumbnails/x.png",
                                  "images/../pipeline.sqlite3"])
def test_the_dashboards_own_files_are_never_served_even_under_a_root(served, name):
    data, roots = served
    with pytest.raises(NeverServedError):
        roots.confine(str(data) + "/" + name, must_exist=False)


def test_a_link_or_a_hard_link_to_the_database_is_never_served(served):
    data, roots = served
    (data / "images" / "soft.fits").symlink_to(data / "pipeline.sqlite3")
    os.link(data / "pipeline.sqlite3", data / "images" / "hard.fits")
    for name in ("soft.fits", "hard.fits"):
        with pytest.raises(NeverServedError):
            roots.confine(str(data / "images" / name))
    assert roots.confine(str(data / "images" / "a.fits")).name == "a.fits"


def test_the_folder_of_the_database_is_a_data_root_by_default(tmp_path):
    elsewhere = tmp_path / "generated"
    elsewhere.mkdir()
    (elsewhere / "a.fits").write_bytes(b"x")
    settings = Settings.load(environ={"DSA110_DASH_DATA_DIR": str(tmp_path / "own")})
    target = parse_database(str(elsewhere / "pipeline.sqlite3"), "--db", read_only=False)
    roots = DataRoots.for_server(settings, target)
    assert roots.confine(str(elsewhere / "a.fits")) == elsewhere / "a.fits"
    with pytest.raises(NeverServedError):
        roots.confine(str(elsewhere / "pipeline.sqlite3"), must_exist=False)
    configured = Settings.load(environ={"DSA110_DASH_DATA_ROOTS": str(tmp_path / "own")})
    with pytest.raises(ForbiddenPathError):
        DataRoots.for_server(configured, target).confine(str(elsewhere / "a.fits"))


def test_paths_are_shown_relative_to_their_root_or_by_name(tmp_path):
    roots = DataRoots.of([tmp_path / "data"])
    assert roots.shown(tmp_path / "data" / "images" / "a.fits") == "images/a.fits"
    assert roots.shown("/srv/elsewhere/b.fits") == "b.fits"
    text = (f"File missing: {tmp_path}/data/images/a.fits; [Errno 13] Permission denied: "
            f"'/etc/shadow'. Sign in at /login first, see /api/v1/health.")
    assert roots.scrub(text) == ("File missing: images/a.fits; [Errno 13] Permission "
                                 "denied: 'shadow'. Sign in at /login first, see "
                                 "/api/v1/health.")
    assert str(tmp_path) not in roots.scrub(f"({tmp_path}/data/x.fits)")
    assert roots.scrub("postgresql+psycopg://dash@dbhost/pipeline") == \
        "postgresql+psycopg://dash@dbhost/pipeline"
