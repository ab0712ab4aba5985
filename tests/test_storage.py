"""Migrations and the storage round trip, on SQLite and (when configured) PostgreSQL."""
import os
from datetime import date

import pytest
from sqlalchemy import create_engine, select, text

from mieruka import storage
from mieruka.storage import db
from mieruka.records import extraction as r
from mieruka.storage import models as m
from mieruka.storage.load import add_document, find_document, store_extraction
from mieruka.storage.queries import kpi_rows


def test_migrations_go_up_and_down(db_url):
    storage.upgrade(db_url)
    assert storage.current_revision(db_url) is not None
    tables = storage.table_names(db_url)
    for name in ("documents", "kpis", "targets", "observations", "ratings", "measures", "advanced_cases", "local_bodies"):
        assert name in tables
    storage.downgrade(db_url, "base")
    assert storage.current_revision(db_url) is None
    assert storage.table_names(db_url) == ["alembic_version"]
    storage.upgrade(db_url)
    assert "kpis" in storage.table_names(db_url)


def _extraction() -> r.Extraction:
    src = r.Source(line=12, text="第一階層 - 1 窓口業務のアウトソーシング\t2020年度までに 416団体")
    kpi = r.KpiRecord(
        name="- 1 窓口業務のアウトソーシング", source=src, tier=1, reform_item="民間の大胆な活用による適正な民間委託等の加速",
        parent="窓口業務のアウトソーシングなど汎用性のある先進的な改革に取り組む市町村数",
        targets=[r.TargetRecord(text="2020年度までに 416団体", source=src, value=416, unit="団体",
                                deadline=date(2021, 3, 31), comparator="eq")],
        observations=[r.ObservationRecord(text="301団体 (2017年4月速報値)", source=src, value=301, unit="団体",
                                          as_of=date(2017, 4, 1), status="preliminary")],
        ratings=[r.RatingRecord(scheme="reform-schedule", code="B", source=src)])
    parent = r.KpiRecord(name="窓口業務のアウトソーシングなど汎用性のある先進的な改革に取り組む市町村数",
                         source=r.Source(line=11, text="…"))
    item = r.ReformItemRecord(name="民間の大胆な活用による適正な民間委託等の加速", number="⑪", source=r.Source(line=5),
                              theme="地方交付税をはじめとした地方の財政に係る制度の改革")
    return r.Extraction(family="reform-schedule", title="t", items=[item], kpis=[parent, kpi])


def test_store_and_query_round_trip(db_url):
    storage.upgrade(db_url)
    with storage.session_scope(db_url) as s:
        doc = add_document(s, file_name="a.txt", family="reform-schedule", sha256="0" * 64, raw="生データ".encode())
        written = store_extraction(s, doc, _extraction())
    assert written["kpis_new"] == 2 and written["ratings"] == 1
    with storage.session_scope(db_url) as s:
        assert find_document(s, "0" * 64).raw.decode() == "生データ"
        rows = {k["name"]: k for k in kpi_rows(s)}
        child = rows["窓口業務のアウトソーシング"]
        assert child["tier"] == 1
        assert child["reform_item"] == "民間の大胆な活用による適正な民間委託等の加速"
        assert child["targets"][0]["value"] == 416
        assert child["targets"][0]["deadline"] == date(2021, 3, 31)
        assert child["observations"][0]["status"] == "preliminary"
        assert child["ratings"][0] == {"scheme": "reform-schedule", "code": "B", "official": True,
                                       "as_of": date(2017, 4, 1), "explanation": None, "explanation_en": None,
                                       "source": {"document": "a.txt", "document_id": 1, "line": 12}}
        assert child["parent_id"] == rows["窓口業務のアウトソーシングなど汎用性のある先進的な改革に取り組む市町村数"]["id"]
        item = s.scalars(select(m.ReformItem)).one()
        assert item.number == "⑪" and item.theme.name.startswith("地方交付税")


def test_failed_transaction_leaves_nothing(db_url):
    storage.upgrade(db_url)
    try:
        with storage.session_scope(db_url) as s:
            add_document(s, file_name="b.txt", family="x", sha256="1" * 64, raw=b"x")
            raise RuntimeError("reader broke half-way")
    except RuntimeError:
        pass
    with storage.session_scope(db_url) as s:
        assert s.scalars(select(m.Document)).all() == []


def test_migrations_build_exactly_the_models(db_url):
    """A model changed without a migration would work in tests on create_all and break users' databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    storage.upgrade(db_url)
    with storage.get_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), m.Base.metadata)
    assert diff == []


def test_downgrade_refuses_to_drop_documents_without_yes(tmp_path):
    from typer.testing import CliRunner

    from mieruka.cli import load_commands

    db = str(tmp_path / "kept.db")
    storage.upgrade(db)
    head = storage.current_revision(db)
    with storage.session_scope(db) as s:
        add_document(s, file_name="000.txt", family="reform-schedule", sha256="0" * 64, raw=b"raw")
    head = storage.current_revision(db)
    refused = CliRunner().invoke(load_commands(), ["db", "downgrade", "--db", db])
    assert refused.exit_code == 1
    assert "keeps 1 document(s) that a downgrade to base may drop" in refused.stderr
    assert storage.current_revision(db) == head and storage.document_count(db) == 1
    done = CliRunner().invoke(load_commands(), ["db", "downgrade", "--db", db, "--yes"])
    assert done.exit_code == 0 and storage.current_revision(db) is None
    storage.dispose_engines()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_connection_the_server_closed_is_replaced_and_a_busy_one_not_pinged(db_url, monkeypatch):
    """A pooled PostgreSQL connection back out within PING_AFTER_IDLE_S is used without a ping (under load that was a
    round trip per transaction); one idle longer is pinged, and when the server has closed it (a restart,
    pg_terminate_backend) the next transaction runs on a new connection instead of failing."""
    engine = storage.get_engine(db_url)
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    with storage.session_scope(db_url) as session:
        before = session.scalar(text("SELECT pg_backend_pid()"))
    with storage.session_scope(db_url) as session:
        assert session.scalar(text("SELECT pg_backend_pid()")) == before
    assert pings == []
    admin = create_engine(os.environ["MIERUKA_TEST_DATABASE_URL"])
    with admin.begin() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": before}) is True
    admin.dispose()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    with storage.session_scope(db_url) as session:
        after = session.scalar(text("SELECT pg_backend_pid()"))
    assert after != before and pings == [1]


def test_the_revision_a_command_checks_without_alembic_is_alembic_s_head(tmp_path):
    # ensure_schema reads alembic_version itself and asks alembic only when it is not SCHEMA_HEAD
    assert storage.db.SCHEMA_HEAD == storage.db._head()
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert not storage.db._at_head(url)
    storage.ensure_schema(url)
    assert storage.db._at_head(url) and storage.db.current_revision(url) == storage.db.SCHEMA_HEAD
    storage.dispose_engines()


def test_a_bulk_write_that_the_database_refuses_raises_sqlalchemy_s_error_on_both_backends(db_url):
    # PostgreSQL writes with COPY on the driver's cursor: its errors come as SQLAlchemy's, as every other statement's,
    # so a command explains them instead of printing a traceback
    from sqlalchemy.exc import IntegrityError

    from mieruka.storage import bulk
    storage.ensure_schema(db_url)
    with storage.session_scope(db_url) as s:
        assert bulk.insert_rows(s, m.Organisation, [{"id": 70, "name": "外務省", "parent_id": None}]) == 1
    with pytest.raises(IntegrityError) as refused:
        with storage.session_scope(db_url) as s:
            bulk.insert_rows(s, m.Organisation, [{"id": 71, "name": "財務省", "parent_id": None},
                                                 {"id": 70, "name": "総務省", "parent_id": None}])
    assert "organisations" in str(refused.value)
    with storage.session_scope(db_url) as s:
        assert s.scalars(select(m.Organisation.name).where(m.Organisation.id >= 70).order_by(m.Organisation.id)).all() \
            == ["外務省"]
