"""``dsa110-dash scale-db`` as a user runs it."""

import sqlite3

from dsa110_dashboard.cli.main import main


def test_fills_a_new_sqlite_file_and_refuses_to_fill_it_twice(tmp_path, capsys):
    out = tmp_path / "scale.sqlite3"
    argv = ["scale-db", "--out", str(out), "--images", "60", "--sources", "12",
            "--epochs", "5"]
    assert main(argv) == 0
    stdout, stderr = capsys.readouterr()
    assert "filled" in stdout and "photometry=" in stdout
    assert "photometry" in stderr, "progress goes to standard error"
    conn = sqlite3.connect(out)
    assert conn.execute("SELECT count(*) FROM images").fetchone()[0] == 60
    missing = conn.execute("SELECT count(*) FROM photometry p WHERE NOT EXISTS "
                           "(SELECT 1 FROM images i WHERE i.path = p.image_path)").fetchone()
    assert missing[0] == 0
    conn.close()
    assert main(argv) == 1
    assert "conflict" in capsys.readouterr().err.lower()


def test_nonsense_sizes_are_refused_with_the_parameter_named(tmp_path, capsys):
    code = main(["scale-db", "--out", str(tmp_path / "x.sqlite3"), "--images", "0"])
    assert code == 1
    assert "images" in capsys.readouterr().err
