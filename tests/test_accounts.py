"""Accounts: the password rule, roles, sign-in lock-out, server-side sessions and the append-only security log,
on SQLite and PostgreSQL; the `mieruka users` and `mieruka log` commands."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from mieruka import storage
from mieruka.accounts import passwords, service
from mieruka.accounts.service import AccountError, SignInRefused
from mieruka.cli import load_commands
from mieruka.storage import models as m

GOOD = "Kasumigaseki-2019"


@pytest.fixture
def db(db_url):
    storage.upgrade(db_url)
    with storage.session_scope(db_url) as s:
        s.add(m.Organisation(name="総務省"))
    return db_url


@pytest.mark.parametrize("password, reason", [
    ("Short-1", "too short (7 characters)"),
    ("alllowercaseletters", "too few kinds of character"),
    ("aaaaaaaaaaaaaaaa1", "too few kinds of character"),
    ("hanako-secret-99", "contains the login name"),
    ("x" * 300 + "A1", "too long"),
])
def test_password_rule_names_what_is_wrong(password, reason):
    with pytest.raises(passwords.WeakPassword) as caught:
        passwords.check(password, "hanako")
    assert reason in caught.value.message["en"]
    assert "12" in caught.value.message["ja"] and "2種類以上" in caught.value.message["ja"]


def test_password_rule_accepts_and_argon2_hashes(production_hasher):
    passwords.check(GOOD, "hanako")
    passwords.check("かすみがせき報告2019", "hanako")  # Japanese characters and digits are two kinds
    hashed = passwords.hash_password(GOOD)
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # OWASP's Argon2id floor is m=19 MiB, t=2, p=1
    assert passwords.verify(GOOD, hashed) and not passwords.verify(GOOD + "x", hashed)


def test_roles_are_checked_against_the_data(db):
    with storage.session_scope(db) as s:
        with pytest.raises(AccountError, match="at least one organisation"):
            service.create_user(s, "hanako", "花子", GOOD, "reporter")
        with pytest.raises(AccountError, match="財務省 is not in the database"):
            service.create_user(s, "hanako", "花子", GOOD, "reporter", organisations=["財務省"])
        with pytest.raises(AccountError, match="no role 'root'"):
            service.create_user(s, "hanako", "花子", GOOD, "root")
        with pytest.raises(AccountError, match="Local-body code"):
            service.create_user(s, "hanako", "花子", GOOD, "local", local_body="999999")
        p = service.create_user(s, "hanako", "花子", GOOD, "reporter", organisations=["総務省"], actor="admin1")
        assert p.role == "reporter" and list(p.organisations.values()) == ["総務省"]
        with pytest.raises(AccountError, match="taken"):
            service.create_user(s, "hanako", "別人", GOOD, "admin")
    with storage.session_scope(db) as s:
        users = service.list_users(s)
        assert [(u["login"], u["role"], u["organisations"], u["created_by"]) for u in users] == \
            [("hanako", "reporter", "総務省", "admin1")]


def test_lock_out_after_five_failures_then_the_right_password_is_refused(db):
    with storage.session_scope(db) as s:
        service.create_user(s, "hanako", "花子", GOOD, "secretariat")
    for _ in range(service.LOCK_AFTER_LOGIN):
        with pytest.raises(SignInRefused, match="Wrong login or password"):
            with storage.session_scope(db) as s:
                try:
                    service.sign_in(s, "hanako", "wrong-password-1", "10.0.0.1")
                finally:
                    s.commit()
    with storage.session_scope(db) as s:
        with pytest.raises(SignInRefused, match="try again in 15 minutes"):
            service.sign_in(s, "hanako", GOOD, "10.0.0.2")
        s.commit()
    with storage.session_scope(db) as s:
        kinds = [e["event"] for e in service.events(s)]
        assert kinds == ["user_add"] + ["sign_in_failed"] * 5 + ["lockout", "sign_in_locked"] or \
            kinds == ["user_add"] + ["sign_in_failed"] * 4 + ["sign_in_failed", "lockout", "sign_in_locked"]
        assert [e["event"] for e in service.events(s, event="lockout")] == ["lockout"]
        # the window passes: the attempts are moved 16 minutes back, and the right password works again
        s.execute(text("UPDATE sign_in_attempts SET at = :t"), {"t": service.now() - timedelta(minutes=16)})
    with storage.session_scope(db) as s:
        p, token = service.sign_in(s, "hanako", GOOD, "10.0.0.2")
        assert p.login == "hanako" and len(token) >= 40


def test_lock_out_per_client_across_logins(db):
    with storage.session_scope(db) as s:
        service.create_user(s, "hanako", "花子", GOOD, "secretariat")
        for i in range(service.LOCK_AFTER_CLIENT):
            with pytest.raises(SignInRefused):
                service.sign_in(s, f"guess{i}", "wrong-password-1", "192.0.2.9")
        with pytest.raises(SignInRefused, match="15 minutes"):
            service.sign_in(s, "hanako", GOOD, "192.0.2.9")
        p, _ = service.sign_in(s, "hanako", GOOD, "192.0.2.10")  # another client is not locked
        assert p.login == "hanako"


def test_sessions_end_on_sign_out_disable_and_role_change(db):
    with storage.session_scope(db) as s:
        service.create_user(s, "hanako", "花子", GOOD, "secretariat")
        _, t1 = service.sign_in(s, "hanako", GOOD, "c")
        _, t2 = service.sign_in(s, "hanako", GOOD, "c")
        _, t3 = service.sign_in(s, "hanako", GOOD, "c")
        assert service.session_principal(s, t1).login == "hanako"
        assert service.session_principal(s, "forged-token") is None
        service.sign_out(s, t1)
        assert service.session_principal(s, t1) is None and service.session_principal(s, t2) is not None
        service.set_role(s, "hanako", "reporter", organisations=["総務省"], actor="root")
        assert service.session_principal(s, t2) is None and service.session_principal(s, t3) is None
        _, t4 = service.sign_in(s, "hanako", GOOD, "c")
        service.set_active(s, "hanako", False, actor="root")
        assert service.session_principal(s, t4) is None
        with pytest.raises(SignInRefused):
            service.sign_in(s, "hanako", GOOD, "c")
        change = service.events(s, event="role_change")[0]
        assert change["actor"] == "root" and change["details"]["old"]["role"] == "secretariat"
        assert change["details"]["new"] == {"role": "reporter", "organisations": ["総務省"], "local_body": None}


def test_security_log_is_append_only_in_the_database(db):
    with storage.session_scope(db) as s:
        service.log(s, "publish", "root", "round 1")
    for statement in ("UPDATE security_log SET actor = 'someone else'", "DELETE FROM security_log"):
        with pytest.raises(Exception, match="append-only"):
            with storage.session_scope(db) as s:
                s.execute(text(statement))
    with storage.session_scope(db) as s:
        assert [(e["event"], e["actor"]) for e in service.events(s)] == [("publish", "root")]


def test_users_and_log_commands(tmp_path):
    db = str(tmp_path / "cli.db")
    cli = load_commands()
    runner = CliRunner()
    weak = runner.invoke(cli, ["users", "add", "root", "--role", "admin", "--password-stdin", "--db", db], input="short\n")
    assert weak.exit_code == 1 and "password: The password is too short (5 characters)" in weak.stderr
    ok = runner.invoke(cli, ["users", "add", "root", "--role", "admin", "--password-stdin", "--db", db], input=GOOD + "\n")
    assert ok.exit_code == 0 and ok.stdout.strip() == "added root (admin)"
    differ = runner.invoke(cli, ["users", "add", "sec", "--role", "secretariat", "--db", db], input=f"{GOOD}\n{GOOD}x\n")
    assert differ.exit_code == 1 and "the two passwords differ" in differ.stderr
    prompted = runner.invoke(cli, ["users", "add", "sec", "--role", "secretariat", "--name", "事務局 太郎", "--db", db],
                             input=f"{GOOD}\n{GOOD}\n")
    assert prompted.exit_code == 0, prompted.stderr
    assert runner.invoke(cli, ["users", "role", "sec", "admin", "--db", db]).stdout.strip() == "sec is now admin"
    assert runner.invoke(cli, ["users", "disable", "sec", "--db", db]).exit_code == 0
    missing = runner.invoke(cli, ["users", "disable", "nobody", "--db", db])
    assert missing.exit_code == 1 and "No user has the login 'nobody'" in missing.stderr
    listed = runner.invoke(cli, ["users", "list", "--format", "csv", "--db", db]).stdout
    assert "sec,事務局 太郎,admin,false" in listed and "root,root,admin,true" in listed
    log = runner.invoke(cli, ["log", "--format", "csv", "--db", db]).stdout.splitlines()
    assert [line.split(",")[1] for line in log[1:]] == ["user_add", "user_add", "role_change", "user_disable"]
    storage.dispose_engines()
