import pytest

from dsa110_dashboard.errors import ForbiddenPathError, NotFoundError
from dsa110_dashboard.files import confined


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
