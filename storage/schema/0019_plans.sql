-- Migration 19: each project's plan (三明确, 项目到线): stage, investment, work line, locality,
-- dates and the year's target; its milestones (节点); the monthly investment reports; and the
-- explanations (说明原因) asked of its leaders when it falls behind.

CREATE TABLE project_plans (
    project_id          INTEGER PRIMARY KEY REFERENCES projects(id),
    stage               TEXT CHECK (stage IN
                            ('negotiating', 'signed', 'preparing', 'building', 'operating')),
    stage_since         TEXT,      -- local date the stage was entered
    total_investment    INTEGER,   -- yuan (shown in 万元)
    year_investment     INTEGER,   -- this year's planned investment, yuan
    work_line           TEXT,
    locality            TEXT,
    planned_start       TEXT,      -- local date
    planned_completion  TEXT,      -- local date
    year_target         TEXT,
    updated_at          TEXT NOT NULL,
    updated_by          INTEGER
);
CREATE INDEX project_plans_line ON project_plans(work_line);
CREATE TABLE milestones (
    id                      INTEGER PRIMARY KEY,
    project_id              INTEGER NOT NULL REFERENCES projects(id),
    name                    TEXT NOT NULL,
    planned_on              TEXT NOT NULL,  -- local date
    responsible_user        INTEGER,
    responsible_department  INTEGER REFERENCES departments(id),
    done_on                 TEXT,           -- local date it was done
    done_at                 TEXT,
    done_by                 INTEGER,
    evidence                TEXT,
    created_at              TEXT NOT NULL,
    created_by              INTEGER,
    removed_at              TEXT
);
CREATE INDEX milestones_project ON milestones(project_id, planned_on);
CREATE INDEX milestones_undone ON milestones(planned_on)
    WHERE done_at IS NULL AND removed_at IS NULL;
-- One figure per project and month: investment completed in that month (a later report of the
-- same month corrects it).
CREATE TABLE investments (
    project_id   INTEGER NOT NULL REFERENCES projects(id),
    month        TEXT NOT NULL,  -- YYYY-MM
    amount       INTEGER NOT NULL,  -- yuan
    reported_by  INTEGER NOT NULL,
    reported_at  TEXT NOT NULL,
    PRIMARY KEY (project_id, month)
);
CREATE TABLE investment_schedules (
    project_id  INTEGER PRIMARY KEY REFERENCES projects(id),
    day         INTEGER NOT NULL CHECK (day BETWEEN 1 AND 28),
    at_time     TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE investment_prompts (
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    month       TEXT NOT NULL,
    user_id     INTEGER NOT NULL,
    sent_at     TEXT NOT NULL,
    PRIMARY KEY (project_id, month, user_id)
);
-- 说明原因: asked of the leaders once per project, reason and subject (a milestone's id, or the
-- day a stall was found); unanswered within EXPLAIN_WITHIN it goes to the leadership group.
CREATE TABLE explanations (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects(id),
    reason        TEXT NOT NULL CHECK (reason IN ('milestone', 'stall')),
    subject       TEXT NOT NULL,
    asked_at      TEXT NOT NULL,
    answered_at   TEXT,
    answered_by   INTEGER,
    text          TEXT,
    escalated_at  TEXT,
    UNIQUE (project_id, reason, subject)
);
CREATE INDEX explanations_waiting ON explanations(asked_at)
    WHERE answered_at IS NULL AND escalated_at IS NULL;
-- A workbook an admin sent (/template, filled): checked and previewed, applied on 导入 once.
CREATE TABLE plan_imports (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    file_name   TEXT NOT NULL,
    payload     TEXT NOT NULL,  -- the checked rows, JSON
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'applied', 'cancelled')),
    created_at  TEXT NOT NULL,
    decided_at  TEXT
);
