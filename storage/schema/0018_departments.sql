-- Migration 18: functional departments (职能部门) as participants: their people, the projects
-- they support (帮扶部门), problems handed to them (交办) and how each was chased, and the
-- delegates' sign-ins when they sit in the 365 office (坐班).

CREATE TABLE departments (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    sitin_days  TEXT,  -- 'workdays' or weekday numbers '0,2,4' (Monday 0); NULL: none
    sitin_time  TEXT,  -- HH:MM, local time (DEFAULT_TIMEZONE)
    created_at  TEXT NOT NULL,
    created_by  INTEGER
);
CREATE TABLE department_members (
    id             INTEGER PRIMARY KEY,
    department_id  INTEGER NOT NULL REFERENCES departments(id),
    user_id        INTEGER NOT NULL REFERENCES people(user_id),
    role           TEXT NOT NULL CHECK (role IN ('liaison', 'head')),
    added_at       TEXT NOT NULL,
    added_by       INTEGER,
    removed_at     TEXT,
    removed_by     INTEGER
);
CREATE UNIQUE INDEX department_members_current
    ON department_members(department_id, user_id, role) WHERE removed_at IS NULL;
CREATE INDEX department_members_user ON department_members(user_id) WHERE removed_at IS NULL;
CREATE TABLE project_departments (
    project_id     INTEGER NOT NULL REFERENCES projects(id),
    department_id  INTEGER NOT NULL REFERENCES departments(id),
    added_at       TEXT NOT NULL,
    added_by       INTEGER,
    PRIMARY KEY (project_id, department_id)
);
-- A problem handed to a department: handed → signed → done; or returned (not ours) or
-- recalled (taken back by the office). One live handover per problem and department.
CREATE TABLE handovers (
    id             INTEGER PRIMARY KEY,
    problem_id     INTEGER NOT NULL REFERENCES problems(id),
    department_id  INTEGER NOT NULL REFERENCES departments(id),
    lead           INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL
                   CHECK (status IN ('handed', 'signed', 'done', 'returned', 'recalled')),
    handed_at      TEXT NOT NULL,
    handed_by      INTEGER NOT NULL,
    deadline       TEXT NOT NULL,
    sign_due       TEXT NOT NULL,
    signed_at      TEXT,
    signed_by      INTEGER,
    done_at        TEXT,
    done_by        INTEGER,
    closed_at      TEXT,
    reason         TEXT
);
CREATE UNIQUE INDEX handovers_live
    ON handovers(problem_id, department_id) WHERE status IN ('handed', 'signed', 'done');
CREATE INDEX handovers_department ON handovers(department_id, status);
CREATE INDEX handovers_sign_due ON handovers(sign_due) WHERE status = 'handed';
CREATE INDEX handovers_deadline ON handovers(deadline) WHERE status IN ('handed', 'signed');
-- Each reminder and escalation of a handover, once per kind and time limit.
CREATE TABLE handover_chases (
    handover_id  INTEGER NOT NULL REFERENCES handovers(id),
    kind         TEXT NOT NULL CHECK (kind IN ('sign', 'level1', 'level2')),
    deadline     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (handover_id, kind, deadline)
);
CREATE TABLE sitins (
    id             INTEGER PRIMARY KEY,
    department_id  INTEGER NOT NULL REFERENCES departments(id),
    user_id        INTEGER NOT NULL REFERENCES people(user_id),
    local_date     TEXT NOT NULL,
    due_at         TEXT NOT NULL,
    closes_at      TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'present', 'absent')),
    signed_at      TEXT,
    latitude       REAL,
    longitude      REAL,
    UNIQUE (department_id, user_id, local_date)
);
CREATE INDEX sitins_pending ON sitins(closes_at) WHERE status = 'pending';
CREATE INDEX sitins_user ON sitins(user_id, status);

-- Invites also make department liaisons and heads.
CREATE TABLE invites_v18 (
    id             INTEGER PRIMARY KEY,
    token_hash     TEXT NOT NULL UNIQUE,
    project_id     INTEGER REFERENCES projects(id),
    department_id  INTEGER REFERENCES departments(id),
    role           TEXT NOT NULL
                   CHECK (role IN ('secretary', 'leader', 'admin', 'liaison', 'head')),
    created_at     TEXT NOT NULL,
    created_by     INTEGER NOT NULL,
    expires_at     TEXT NOT NULL,
    used_by        INTEGER,
    used_at        TEXT
);
INSERT INTO invites_v18 (id, token_hash, project_id, role, created_at, created_by, expires_at,
                         used_by, used_at)
SELECT id, token_hash, project_id, role, created_at, created_by, expires_at, used_by, used_at
FROM invites;
DROP TABLE invites;
ALTER TABLE invites_v18 RENAME TO invites;
