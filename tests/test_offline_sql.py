"""`trackstore db upgrade --sql`: every revision writes SQL that its database can take.

Each dialect's script is generated once, from an empty database to head, and cut into one
section per revision at the "Running upgrade" comments Alembic writes. Every section must parse
with sqlglot in that database's dialect; sqlglot's catch-all "Command" is accepted only for the
few statement shapes it does not model. SQL Server's sections must also be free of the
constructs other databases have and SQL Server lacks. On each available backend the whole
script, run as a database administrator would run it, must build the schema the online chain
builds.
"""

import re

import pytest
import sqlglot
from sqlalchemy.engine import make_url
from sqlglot import exp

from compat import make_engine
from migrations import runner
from tests.cli import run_trackstore
from tests.offline_script import BASE, REVISIONS, sections, split_by_revision
from tests.schema import snapshot

# Our dialect names and sqlglot's.
DIALECTS = {"mssql": "tsql", "mysql": "mysql", "postgresql": "postgres", "sqlite": "sqlite"}
ADD_CHECK = r"ALTER TABLE \S+ ADD (CONSTRAINT \S+ )?CHECK \(.+\)"
# Statements sqlglot keeps as an unparsed Command although the database accepts them.
UNMODELLED = {
    "tsql": [r"ALTER TABLE \S+ ALTER COLUMN \S+ [\w() ]+", ADD_CHECK],
    "mysql": [
        r"ALTER TABLE \S+ MODIFY \S+ .+",
        r"ALTER TABLE \S+ CHANGE \S+ \S+ .+",
        ADD_CHECK,
        r"PREPARE \w+ FROM @\w+",
        r"EXECUTE \w+",
        r"DROP PREPARE \w+",
    ],
    "postgres": [ADD_CHECK],
    "sqlite": [r"ALTER TABLE \S+ RENAME TO \S+"],
}
# A statement with a body (a trigger, a function) that the client reads whole: on a line of its
# own, or for MySQL's client between DELIMITER lines. sqlglot would read it only up to the
# body's first semicolon, so it is taken out of its section and held to a shape of WITH_BODY.
BODY_STATEMENT = {
    "mysql": r"^DELIMITER //\n(.+) //\nDELIMITER ;$",
    "other": r"^(CREATE (?:OR REPLACE )?(?:TRIGGER|FUNCTION) .+?);?$",
}
ROW_TRIGGER = r"CREATE TRIGGER \w+ (BEFORE|AFTER) (INSERT|UPDATE|DELETE) ON \w+ FOR EACH ROW"
WITH_BODY = {
    "sqlite": [rf"{ROW_TRIGGER}( WHEN [^;]+)? BEGIN [^;]+; END"],
    "postgres": [
        r"CREATE (OR REPLACE )?FUNCTION \w+\(\) RETURNS TRIGGER AS \$\$ BEGIN .+; END; "
        r"\$\$ LANGUAGE plpgsql",
        rf"{ROW_TRIGGER} EXECUTE FUNCTION \w+\(\)",
    ],
    "mysql": [rf"{ROW_TRIGGER} BEGIN .+; END"],
    "tsql": [
        r"CREATE TRIGGER \w+ ON \w+ (AFTER|INSTEAD OF) (INSERT|UPDATE|DELETE) AS BEGIN .+ END"
    ],
}
# Syntax a database takes that sqlglot's reader of its dialect does not, with a dialect whose
# reader reads it the same: SQLite's stored generated column (sqlglot 29 misreads it).
SHARED_SYNTAX = {"sqlite": (r"\bGENERATED ALWAYS AS \(.+\) STORED\b", "postgres")}
# What SQL Server lacks, as a pattern over SQL without comments and string literals.
NOT_TSQL = {
    "LIMIT (SQL Server pages with TOP or OFFSET FETCH)": r"\bLIMIT\b",
    "the BOOLEAN type (SQL Server has BIT)": r"\bBOOLEAN\b",
    "TRUE or FALSE literals": r"\b(TRUE|FALSE)\b",
    "TEXT types (deprecated or absent; VARCHAR(max) holds text)": r"\b(TINY|MEDIUM|LONG)?TEXT\b",
    "IF [NOT] EXISTS on CREATE": r"\bCREATE\s+(UNIQUE\s+)?(INDEX|TABLE)\s+IF\b",
    "ON CONFLICT or ON DUPLICATE KEY upserts": r"\bON\s+(CONFLICT|DUPLICATE\s+KEY)\b",
    "backtick quoting": r"`",
    "AUTO_INCREMENT, AUTOINCREMENT or SERIAL (SQL Server has IDENTITY)": (
        r"\b(AUTO_?INCREMENT|(BIG|SMALL)?SERIAL)\b"
    ),
    "MySQL's MODIFY or CHANGE of a column": r"\bALTER\s+TABLE\s+\S+\s+(MODIFY|CHANGE)\b",
    "PostgreSQL's ALTER COLUMN ... TYPE": r"\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b",
    "RENAME TO (SQL Server renames with sp_rename)": r"\bRENAME\s+TO\b",
    "MySQL's DROP FOREIGN KEY": r"\bDROP\s+FOREIGN\s+KEY\b",
    "PostgreSQL's :: casts": r"::",
    "table options such as ENGINE=": r"\bENGINE\s*=",
}


def body_statements(dialect: str, sql: str) -> tuple[list[str], str]:
    """The statements with a body in `sql` (see BODY_STATEMENT), and `sql` without them."""
    pattern = re.compile(BODY_STATEMENT.get(dialect, BODY_STATEMENT["other"]), re.MULTILINE)
    return [m.group(1) for m in pattern.finditer(sql)], pattern.sub("", sql)


def statements(dialect: str, sql: str) -> list[exp.Expression]:
    """`sql` parsed in `dialect`, raising on anything sqlglot cannot read; statements with a
    body are left out (see `body_statements`)."""
    _, sql = body_statements(dialect, sql)
    parsed: list[exp.Expression] = []
    for text in client_statements(sql):
        read = reader(dialect, text)
        parsed.extend(
            statement
            for statement in sqlglot.parse(text, read=read, error_level=sqlglot.ErrorLevel.RAISE)
            if statement is not None
        )
    return parsed


def reader(dialect: str, statement: str) -> str:
    """The sqlglot dialect that reads `statement`: its database's, unless the statement uses
    syntax of SHARED_SYNTAX that sqlglot reads only in another dialect."""
    shared = SHARED_SYNTAX.get(dialect)
    if shared is not None and re.search(shared[0], statement):
        return shared[1]
    return DIALECTS[dialect]


def unmodelled(dialect: str, statement: exp.Expression) -> bool:
    text = statement.sql(dialect=DIALECTS[dialect], comments=False)
    return any(re.fullmatch(shape, text) for shape in UNMODELLED[DIALECTS[dialect]])


def without_transactions(sql: str) -> str:
    """`sql` without the transaction control and batch separators between revisions."""
    return re.sub(r"^(BEGIN( TRANSACTION)?|COMMIT|GO);?$", "", sql, flags=re.MULTILINE).strip()


def bare(sql: str) -> str:
    """`sql` without comments and with every string literal emptied."""
    sql = re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.DOTALL)
    return re.sub(r"N?'(?:[^']|'')*'", "''", sql)


def test_every_revision_has_a_section_in_every_dialect() -> None:
    for dialect in DIALECTS:
        assert list(sections(dialect)) == [BASE, *REVISIONS], dialect


def test_base_tables_come_first_when_no_start_is_given() -> None:
    for dialect in DIALECTS:
        assert "CREATE TABLE experiments" in sections(dialect)[BASE], dialect


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("revision", [BASE, *REVISIONS])
def test_section_parses_in_its_dialect(dialect: str, revision: str) -> None:
    section = sections(dialect)[revision]
    parsed = statements(dialect, section)
    unread = [
        s.sql(dialect=DIALECTS[dialect])
        for s in parsed
        if isinstance(s, exp.Command) and not unmodelled(dialect, s)
    ]
    unread += [
        statement
        for statement in body_statements(dialect, section)[0]
        if not any(re.fullmatch(shape, statement) for shape in WITH_BODY[DIALECTS[dialect]])
    ]
    assert unread == []


@pytest.mark.parametrize("revision", [BASE, *REVISIONS])
def test_sql_server_section_has_nothing_sql_server_lacks(revision: str) -> None:
    sql = bare(sections("mssql")[revision])
    found = [what for what, pattern in NOT_TSQL.items() if re.search(pattern, sql, re.IGNORECASE)]
    assert found == []


def test_from_a_revision_writes_only_the_sections_after_it() -> None:
    start, end = REVISIONS[14], REVISIONS[20]
    result = run_trackstore(
        *("db", "upgrade", "--sql", "--dialect", "mssql", "--from", start, "--revision", end),
        env={"MLFLOW_TRACKING_URI": ""},
    )
    assert result.returncode == 0, result.stderr
    written = split_by_revision(result.stdout)
    assert list(written) == [BASE, *REVISIONS[15:21]]
    assert "CREATE TABLE" not in written[BASE]
    for revision in REVISIONS[15:21]:
        assert without_transactions(written[revision]) == without_transactions(
            sections("mssql")[revision]
        )


def test_dialect_is_taken_from_a_uri_without_connecting() -> None:
    nowhere = "mysql+pymysql://nobody:secret@127.0.0.1:9/none"
    result = run_trackstore("db", "upgrade", nowhere, "--sql", "--revision", REVISIONS[1])
    assert result.returncode == 0, result.stderr
    assert "CREATE TABLE metrics" in result.stdout
    assert "`key`" in result.stdout


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--dialect", "mysql"], "--dialect and --from only apply to --sql"),
        (["--from", REVISIONS[3]], "--dialect and --from only apply to --sql"),
        (["--sql"], "--sql needs --dialect"),
        (["--sql", "--dialect", "mysql", "postgresql://u:pw@h/db"], "contradicts"),
        (["--sql", "--dialect", "sqlite", "--from", "nonsense"], "'nonsense' is not a revision"),
    ],
    ids=[
        "dialect-without-sql",
        "from-without-sql",
        "sql-without-dialect",
        "two-dialects",
        "bad-from",
    ],
)
def test_bad_combination_is_refused_in_one_sentence(args: list[str], complaint: str) -> None:
    result = run_trackstore("db", "upgrade", *args, env={"MLFLOW_TRACKING_URI": ""})
    assert result.returncode != 0
    assert complaint in result.stderr
    assert result.stdout == ""
    assert "pw" not in result.stderr


def client_statements(script: str) -> list[str]:
    """The statements of an offline script as its database's client sends them: cut at GO
    lines, then at semicolons that end a line, except between MySQL's DELIMITER lines."""
    found = []
    for batch in re.split(r"^GO$", script, flags=re.MULTILINE):
        parts = re.split(BODY_STATEMENT["mysql"], batch, flags=re.MULTILINE)
        for number, part in enumerate(parts):
            whole = number % 2 == 1
            found += [part] if whole else re.split(r";\s*\n", part)
    return [statement for statement in found if bare(statement).strip()]


def run_script(uri: str, script: str) -> None:
    """Run an offline script statement by statement through the driver, as a client would,
    its own BEGIN and COMMIT included."""
    chunks = client_statements(script)
    engine = make_engine(uri)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        for chunk in chunks:
            cursor.execute(chunk)
        connection.commit()
    finally:
        connection.close()
        engine.dispose()


def test_script_builds_the_schema_the_online_chain_builds(backend: str, fresh_backend: str) -> None:
    run_script(backend, "".join(sections(make_url(backend).get_backend_name()).values()))
    online = make_engine(fresh_backend)
    offline = make_engine(backend)
    try:
        runner.upgrade(online, "head")
        assert snapshot(offline) == snapshot(online)
    finally:
        online.dispose()
        offline.dispose()
