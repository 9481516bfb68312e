#!/usr/bin/env python3
"""The benchmark's bulk path: grows the projects and activities tables of a
migrated Rihla database to a given size in a few set-based INSERTs, far faster
than a million POSTs. Rows are plain records at version 1 with no audit events
(the benchmark measures reads and writes, not the history of its own seed).

  seed.py sqlite PATH      --projects N --activities M
  seed.py postgres URL     --projects N --activities M

Growing is incremental and deterministic: project n (1-based) has the id
00000000-0000-0000-0000-<n in hex>, code BENCH-n, one of the statuses (60%
active, so a list of active projects has 50,000 rows to page through at
100,000), and a start date spread over the ten years from 2016. Like a real
record, each carries related rows: a participating organisation (one of 100
seeded ones), an outcome, a country and a theme; each activity a location, an
organisation and a topic. They are written to the child tables and, as the
server writes them, copied onto the record's own `children` column. Activity m has
the id 00000000-0000-0001-<m in hex> and belongs to project (m - 1) div 10 + 1:
ten per project at every size (10,000 activities are the first 1,000
projects'), so W5 reads as many rows at 10,000 activities as at 1,000,000,
and only the table's size differs. Start dates are over the same ten years;
participant figures (planned, actual, female, male) vary with m. Ids are the benchmark's to know, so the load scripts
and pgbench pick them without reading them back.
"""

import argparse
import json
import subprocess
import sqlite3
import sys

PER_PROJECT = 10  # activities
DAYS = 3653  # 2016-01-01 .. 2025-12-31
# n mod 10 -> status: 0-5 active, then one each of the other four.
PROJECT_STATUSES = ["active"] * 6 + ["planned", "completed", "suspended", "cancelled"]
ACTIVITY_KINDS = ["training", "workshop", "working_session", "conference", "study_visit", "coaching"]
ACTIVITY_STATUSES = ["planned", "confirmed", "ongoing", "completed", "postponed", "cancelled"]
NOW = "2026-01-01T00:00:00+00:00"
ORGANISATIONS = 100
OUTCOME = ("OC1", "Migration governance capacities strengthened")
THEMES = ["governance", "capacity_development", "migration_and_development"]
TOPIC = "migration governance"


def project_id(n):
    return f"00000000-0000-0000-0000-{n:012x}"


def activity_id(m):
    return f"00000000-0000-0001-{m >> 48:04x}-{m & 0xFFFFFFFFFFFF:012x}"


def organisation_id(k):
    return f"00000000-0000-0002-0000-{k:012x}"


def project_org(n):
    return n % ORGANISATIONS + 1


def activity_org(m):
    return m % ORGANISATIONS + 1


def project_children(n):
    """The `children` column of project n, as the server writes it."""
    return json.dumps({
        "participating_organisations": [{"organisation_id": organisation_id(project_org(n)), "role": "funding"}],
        "outcomes": [{"code": OUTCOME[0], "title": OUTCOME[1], "description": None}],
        "country_codes": ["LY"], "duty_stations": [], "themes": [THEMES[n % len(THEMES)]],
    })


def activity_children(m):
    return json.dumps({
        "locations": [{"city": "Tripoli", "country_code": "LY", "venue": None}],
        "organisations": [{"organisation_id": organisation_id(activity_org(m)), "role": "organiser"}],
        "topics": [TOPIC], "outputs": [],
    })


def sql_case(expr, values):
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"(CASE ({expr}) % {len(values)} {whens} END)"


def postgres(url, projects, activities):
    def psql(sql):
        return subprocess.run(
            ["psql", url, "-qtAX", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, stdout=subprocess.PIPE, text=True
        ).stdout.strip()

    psql(f"""
        INSERT INTO organisations (id, name, kind, created_at, updated_at, version)
        SELECT ('00000000-0000-0002-0000-' || lpad(to_hex(k), 12, '0'))::uuid, 'Bench organisation ' || k,
            'government_ministry', '{NOW}', '{NOW}', 1
        FROM generate_series(1, {ORGANISATIONS}) AS k ON CONFLICT DO NOTHING""")
    org = "('00000000-0000-0002-0000-' || lpad(to_hex({} % " + str(ORGANISATIONS) + " + 1), 12, '0'))::uuid"
    theme = sql_case("n", THEMES)
    have_p = int(psql("SELECT count(*) FROM projects WHERE code LIKE 'BENCH-%'"))
    if projects > have_p:
        series = f"generate_series({have_p + 1}::bigint, {projects}::bigint) AS n"
        pid = "lpad(to_hex(n), 32, '0')::uuid"
        psql(f"""
        INSERT INTO projects (id, code, title, summary, objective, status, start_date, end_date,
            budget_amount, budget_currency, iati_identifier, created_at, updated_at, version, children)
        SELECT {pid}, 'BENCH-' || n, 'Bench project ' || n,
            'A project the benchmark seeded', NULL, {sql_case('n', PROJECT_STATUSES)},
            date '2016-01-01' + ((n * 7919) % {DAYS})::int, date '2016-01-01' + ((n * 7919) % {DAYS})::int + 365,
            NULL, NULL, NULL, '{NOW}', '{NOW}', 1,
            json_build_object(
                'participating_organisations',
                    json_build_array(json_build_object('organisation_id', {org.format('n')}, 'role', 'funding')),
                'outcomes', json_build_array(json_build_object(
                    'code', '{OUTCOME[0]}', 'title', '{OUTCOME[1]}', 'description', NULL)),
                'country_codes', json_build_array('LY'), 'duty_stations', json_build_array(),
                'themes', json_build_array({theme}))::text
        FROM {series};
        INSERT INTO project_participants (project_id, position, organisation_id, role)
        SELECT {pid}, 0, {org.format('n')}, 'funding' FROM {series};
        INSERT INTO project_outcomes (project_id, position, code, title)
        SELECT {pid}, 0, '{OUTCOME[0]}', '{OUTCOME[1]}' FROM {series};
        INSERT INTO project_tags (project_id, kind, position, value)
        SELECT {pid}, 'country', 0, 'LY' FROM {series}
        UNION ALL SELECT {pid}, 'theme', 0, {theme} FROM {series}""")
    have_a = int(psql("SELECT count(*) FROM activities WHERE title LIKE 'Bench activity %'"))
    if activities > have_a:
        series = f"generate_series({have_a + 1}::bigint, {activities}::bigint) AS m"
        aid = "('00000000-0000-0001-' || lpad(to_hex(m), 16, '0'))::uuid"
        psql(f"""
        INSERT INTO activities (id, project_id, title, kind, status, start_date, end_date,
            participants_planned, participants_actual, participants_female, participants_male,
            facilitators, created_at, updated_at, version, children)
        SELECT {aid},
            lpad(to_hex((m - 1) / {PER_PROJECT} + 1), 32, '0')::uuid,
            'Bench activity ' || m, {sql_case('m', ACTIVITY_KINDS)}, {sql_case('m', ACTIVITY_STATUSES)},
            date '2016-01-01' + ((m * 104729) % {DAYS})::int, date '2016-01-01' + ((m * 104729) % {DAYS})::int + 1,
            20 + m % 11, 15 + m % 11, m % 7, 15 + m % 11 - m % 7,
            '[]', '{NOW}', '{NOW}', 1,
            json_build_object(
                'locations', json_build_array(json_build_object(
                    'city', 'Tripoli', 'country_code', 'LY', 'venue', NULL)),
                'organisations',
                    json_build_array(json_build_object('organisation_id', {org.format('m')}, 'role', 'organiser')),
                'topics', json_build_array('{TOPIC}'), 'outputs', json_build_array())::text
        FROM {series};
        INSERT INTO activity_locations (activity_id, position, city, country_code)
        SELECT {aid}, 0, 'Tripoli', 'LY' FROM {series};
        INSERT INTO activity_organisations (activity_id, position, organisation_id, role)
        SELECT {aid}, 0, {org.format('m')}, 'organiser' FROM {series};
        INSERT INTO activity_tags (activity_id, kind, position, value)
        SELECT {aid}, 'topic', 0, '{TOPIC}' FROM {series}""")
    psql("ANALYZE")


def sqlite(path, projects, activities):
    import datetime

    start = datetime.date(2016, 1, 1)
    day = lambda k: (start + datetime.timedelta(days=k)).isoformat()  # noqa: E731
    db = sqlite3.connect(path, timeout=60)
    db.execute("PRAGMA busy_timeout = 60000")
    # Bench data on a scratch database: no fsync per batch, a large page cache.
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -262144")
    uuid_bytes = lambda text: bytes.fromhex(text.replace("-", ""))  # noqa: E731
    with db:
        db.executemany(
            "INSERT OR IGNORE INTO organisations (id, name, kind, created_at, updated_at, version)"
            " VALUES (?, ?, 'government_ministry', ?, ?, 1)",
            ((uuid_bytes(organisation_id(k)), f"Bench organisation {k}", NOW, NOW) for k in range(1, ORGANISATIONS + 1)),
        )
    have_p = db.execute("SELECT count(*) FROM projects WHERE code LIKE 'BENCH-%'").fetchone()[0]
    new_p = range(have_p + 1, projects + 1)
    with db:
        db.executemany(
            "INSERT INTO projects (id, code, title, summary, status, start_date, end_date, created_at, updated_at,"
            " version, children) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
            (
                (
                    uuid_bytes(project_id(n)), f"BENCH-{n}", f"Bench project {n}", "A project the benchmark seeded",
                    PROJECT_STATUSES[n % 10], day((n * 7919) % DAYS), day((n * 7919) % DAYS + 365), NOW, NOW,
                    project_children(n),
                )
                for n in new_p
            ),
        )
        db.executemany(
            "INSERT INTO project_participants (project_id, position, organisation_id, role) VALUES (?, 0, ?, 'funding')",
            ((uuid_bytes(project_id(n)), uuid_bytes(organisation_id(project_org(n)))) for n in new_p),
        )
        db.executemany(
            "INSERT INTO project_outcomes (project_id, position, code, title) VALUES (?, 0, ?, ?)",
            ((uuid_bytes(project_id(n)), *OUTCOME) for n in new_p),
        )
        db.executemany(
            "INSERT INTO project_tags (project_id, kind, position, value) VALUES (?, ?, 0, ?)",
            (
                row
                for n in new_p
                for row in (
                    (uuid_bytes(project_id(n)), "country", "LY"),
                    (uuid_bytes(project_id(n)), "theme", THEMES[n % len(THEMES)]),
                )
            ),
        )
    have_a = db.execute("SELECT count(*) FROM activities WHERE title LIKE 'Bench activity %'").fetchone()[0]
    new_a = range(have_a + 1, activities + 1)
    with db:
        db.executemany(
            "INSERT INTO activities (id, project_id, title, kind, status, start_date, end_date,"
            " participants_planned, participants_actual, participants_female, participants_male, facilitators,"
            " created_at, updated_at, version, children) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, 1, ?)",
            (
                (
                    uuid_bytes(activity_id(m)), uuid_bytes(project_id((m - 1) // PER_PROJECT + 1)),
                    f"Bench activity {m}", ACTIVITY_KINDS[m % len(ACTIVITY_KINDS)],
                    ACTIVITY_STATUSES[m % len(ACTIVITY_STATUSES)], day((m * 104729) % DAYS),
                    day((m * 104729) % DAYS + 1), 20 + m % 11, 15 + m % 11, m % 7, 15 + m % 11 - m % 7,
                    NOW, NOW, activity_children(m),
                )
                for m in new_a
            ),
        )
        db.executemany(
            "INSERT INTO activity_locations (activity_id, position, city, country_code) VALUES (?, 0, 'Tripoli', 'LY')",
            ((uuid_bytes(activity_id(m)),) for m in new_a),
        )
        db.executemany(
            "INSERT INTO activity_organisations (activity_id, position, organisation_id, role)"
            " VALUES (?, 0, ?, 'organiser')",
            ((uuid_bytes(activity_id(m)), uuid_bytes(organisation_id(activity_org(m)))) for m in new_a),
        )
        db.executemany(
            "INSERT INTO activity_tags (activity_id, kind, position, value) VALUES (?, 'topic', 0, ?)",
            ((uuid_bytes(activity_id(m)), TOPIC) for m in new_a),
        )
    db.execute("ANALYZE")
    db.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("backend", choices=["sqlite", "postgres"])
    parser.add_argument("target", help="the SQLite file, or the PostgreSQL URL")
    parser.add_argument("--projects", type=int, required=True)
    parser.add_argument("--activities", type=int, required=True)
    args = parser.parse_args()
    if args.projects < -(-args.activities // PER_PROJECT):
        sys.exit(f"activities need their projects: seed at least one project per {PER_PROJECT} activities")
    (postgres if args.backend == "postgres" else sqlite)(args.target, args.projects, args.activities)


if __name__ == "__main__":
    main()
