-- The same tables as SQLite's migrations 001-004, in PostgreSQL's types: snowflakes are
-- BIGINT, times are epoch seconds (DOUBLE PRECISION) as in SQLite.
CREATE TABLE lookups (
    id          BIGSERIAL PRIMARY KEY,
    created_at  DOUBLE PRECISION NOT NULL,
    source      TEXT    NOT NULL,          -- slash | channel | context | pick
    query       TEXT,                      -- NULL once past the retention limit
    query_key   TEXT,                      -- case- and space-folded query, for grouping
    entry_id    TEXT,                      -- NULL: nothing matched
    score       DOUBLE PRECISION NOT NULL,
    confident   BOOLEAN NOT NULL,
    guild_id    BIGINT,
    channel_id  BIGINT
);
CREATE INDEX lookups_created ON lookups (created_at);
CREATE INDEX lookups_entry ON lookups (entry_id, created_at);
CREATE INDEX lookups_guild ON lookups (guild_id, created_at);
CREATE INDEX lookups_unmatched ON lookups (guild_id, query_key) WHERE entry_id IS NULL;

CREATE TABLE answers (
    message_id  BIGINT PRIMARY KEY,
    entry_id    TEXT    NOT NULL,
    guild_id    BIGINT,
    channel_id  BIGINT,
    created_at  DOUBLE PRECISION NOT NULL,
    question    TEXT                       -- what was asked; NULL once past the retention
);
CREATE INDEX answers_entry ON answers (entry_id);
CREATE INDEX answers_guild ON answers (guild_id, created_at);

-- One vote per user per answer: step number, or NULL for "none of these worked".
CREATE TABLE votes (
    message_id  BIGINT  NOT NULL REFERENCES answers (message_id) ON DELETE CASCADE,
    user_id     BIGINT  NOT NULL,
    step        INTEGER,
    voted_at    DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
CREATE INDEX votes_time ON votes (voted_at);

CREATE TABLE picks (
    guild_id    BIGINT  NOT NULL,
    query_key   TEXT    NOT NULL,
    user_id     BIGINT  NOT NULL,
    question    TEXT    NOT NULL,
    entry_id    TEXT    NOT NULL,
    picked_at   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (guild_id, query_key, user_id)
);
CREATE INDEX picks_time ON picks (picked_at);

CREATE TABLE learned (
    guild_id    BIGINT  NOT NULL,
    query_key   TEXT    NOT NULL,
    phrase      TEXT    NOT NULL,
    entry_id    TEXT    NOT NULL,
    linked_by   BIGINT  NOT NULL,
    linked_at   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (guild_id, query_key)
);
