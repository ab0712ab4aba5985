"""`mieruka round open|status|close|publish` and the demo's one-time admin password."""
from __future__ import annotations

import json

from typer.testing import CliRunner

import webdata
from cycle_staff import GOOD, staffed
from mieruka import storage
from mieruka.accounts import passwords, service
from mieruka.cli import load_commands
from mieruka.storage.accounts import user_by_login
from mieruka.workflow import reports, rounds


def test_round_commands(tmp_path):
    db = str(tmp_path / "round.db")
    url = f"sqlite:///{db}"
    staffed(url, ("sec", "rep"))
    cli, runner = load_commands(), CliRunner()

    def run(*args):
        return runner.invoke(cli, [*args, "--db", db])

    refused = run("round", "open", "2019年度 進捗報告", "--as-of", "2019-03-31", "--deadline", "2019-05-31", "--as", "rep")
    assert refused.exit_code == 1 and "rep is reporter; rounds are managed by a secretariat account" in refused.stderr
    bad = run("round", "open", "2019年度 進捗報告", "--as-of", "2019-02-30", "--deadline", "2019-05-31", "--as", "sec")
    assert bad.exit_code == 1 and "--as-of: '2019-02-30' is not a date" in bad.stderr
    opened = run("round", "open", "2019年度 進捗報告", "--as-of", "2019年3月31日", "--deadline", "2019-05-31", "--as", "sec")
    assert opened.exit_code == 0, opened.stderr
    assert opened.stdout.strip() == "opened round 1 2019年度 進捗報告: 4 report(s) to fill in by 2019-05-31"
    nothing = run("round", "publish", "1", "--as", "sec")
    assert nothing.exit_code == 1 and "No report is approved: nothing to publish." in nothing.stderr
    with storage.session_scope(url) as s:
        sec, rep = (service.principal(s, user_by_login(s, x)) for x in ("sec", "rep"))
        r = reports.store.reports(s, round_id=1)[0]
        reports.save(s, rep, r, {"actual_text": "330団体 (2018年4月速報値)"}, 1)
        reports.submit(s, rep, r, 2)
        reports.approve(s, sec, r, 3)
    assert run("round", "close", "2019年度 進捗報告", "--as", "sec").exit_code == 0
    done = run("round", "publish", "1", "--as", "sec")
    assert done.stdout.strip() == ("published 2019年度 進捗報告: 1 report(s), 1 observation(s), 0 target(s), "
                                   "0 rating(s); recomputed reform-schedule ratings")
    status = json.loads(run("round", "status", "--format", "json").stdout)
    assert [(x["name"], x["state"], x["draft"], x["published"]) for x in status] == \
        [("2019年度 進捗報告", "published", 3, 1)]
    missing = run("round", "status", "2020年度")
    assert missing.exit_code == 1 and "There is no round '2020年度'." in missing.stderr
    for command in (("status",), ("close",), ("correct", "--note", "x")):  # past the databases' integers: no traceback
        past = run("round", command[0], "99999999999999999999", *command[1:], *(("--as", "sec") if len(command) > 1
                                                                               or command[0] == "close" else ()))
        assert past.exit_code == 1 and "There is no round '99999999999999999999'." in past.stderr, command
    log = [line.split(",")[1] for line in run("log", "--format", "csv").stdout.splitlines()[1:]]
    assert log == ["user_add", "user_add", "round_open", "round_close", "publish"]
    storage.dispose_engines()


def test_demo_admin_password_is_random_shown_once_and_only_its_hash_kept(sqlite_url):
    storage.upgrade(sqlite_url)
    with storage.session_scope(sqlite_url) as s:
        login, password = service.demo_admin(s)
        assert login == "admin" and service.demo_admin(s) is None
        stored = user_by_login(s, "admin").password_hash
        assert password not in stored and passwords.verify(password, stored)
        passwords.check(password, "admin")
    other = storage.resolve_url(sqlite_url.replace("test.db", "other.db"))
    storage.upgrade(other)
    with storage.session_scope(other) as s:
        assert service.demo_admin(s)[1] != password


def test_round_survey_opens_a_survey_for_every_municipality(tmp_path):
    db = str(tmp_path / "survey.db")
    url = f"sqlite:///{db}"
    webdata.build(url)
    with storage.session_scope(url) as s:
        service.create_user(s, "sec", "事務局", GOOD, "secretariat")
    cli, runner = load_commands(), CliRunner()

    def run(*args):
        return runner.invoke(cli, [*args, "--db", db])

    assert run("round", "open", "2019年度 進捗報告", "--as-of", "2019-03-31", "--deadline", "2019-05-31",
               "--as", "sec").exit_code == 0
    opened = run("round", "survey", "1", "--initiative", "窓口委託", "--as-of", "平成31年4月1日", "--as", "sec")
    assert opened.exit_code == 0, opened.stderr
    assert opened.stdout.strip() == "opened survey 1 (窓口委託, as of 2019-04-01): 1741 local bodies to answer"
    again = run("round", "survey", "1", "--initiative", "窓口委託", "--as-of", "2019-04-01", "--as", "sec")
    assert again.exit_code == 1 and "The round has a survey of '窓口委託' as of 2019-04-01 already." in again.stderr
    empty = run("round", "survey", "1", "--initiative", " ", "--as-of", "2019-04-01", "--as", "sec")
    assert empty.exit_code == 1 and "initiative: give the initiative's name" in empty.stderr
    log = [line.split(",")[1] for line in run("log", "--format", "csv").stdout.splitlines()[1:]]
    assert log[-1] == "survey_open"
    storage.dispose_engines()
