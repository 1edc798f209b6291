"""The shell the commands that work buildings in parallel share (``billing run``, ``invoices
build``: app/cli_billing.py ``parallel_options``, ``Parallel``): ``--jobs`` and its default,
the progress lines in stderr unless ``--quiet``, the time and rate of the summary."""
import os

import click
from click.testing import CliRunner

from app.cli_billing import Parallel, parallel_options


def test_jobs_default_to_the_cores_on_postgresql_and_one_on_sqlite(app):
    from app.extensions import db

    with app.app_context():
        expected = (os.cpu_count() or 1) if db.engine.dialect.name == "postgresql" else 1
        assert Parallel(None, True, str).jobs == expected
        assert Parallel(3, True, str).jobs == 3 and Parallel(0, True, str).jobs == 1 and Parallel(-2, True, str).jobs == 1


def test_the_options_the_progress_and_the_summary(app):
    @click.command()
    @parallel_options("рахують")
    def command(jobs, quiet):
        with app.app_context():
            shell = Parallel(jobs, quiet, lambda done, total: f"done {done} of {total}")
            for done in (1, 2):
                shell.progress(done, 2)
            seconds, rate = shell.timing(10)
            click.echo(f"jobs {shell.jobs} seconds {seconds} rate {rate}")

    runner = CliRunner()
    result = runner.invoke(command, ["--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["done 1 of 2", "done 2 of 2"]
    last = result.stdout.split()
    assert last[:2] == ["jobs", "2"] and float(last[3]) >= 0 and int(last[5]) > 0
    quiet = runner.invoke(command, ["--quiet"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    help_text = runner.invoke(command, ["--help"]).output
    assert "Процесів, що рахують будинки паралельно" in help_text and "Без ходу виконання в stderr" in help_text
    assert help_text.index("--jobs") < help_text.index("--quiet")
