-- Lookups: every question asked, answered or not (query text is cleared after the retention).
CREATE TABLE lookups (
    id          INTEGER PRIMARY KEY,
    created_at  REAL    NOT NULL,
    source      TEXT    NOT NULL,          -- slash | channel | context | pick
    query       TEXT,                      -- NULL once past the retention limit
    entry_id    TEXT,                      -- NULL: nothing matched
    score       REAL    NOT NULL,
    confident   INTEGER NOT NULL,
    guild_id    INTEGER,
    channel_id  INTEGER
);
CREATE INDEX lookups_created ON lookups (created_at);
CREATE INDEX lookups_entry ON lookups (entry_id, created_at);

-- Answers the bot posted, so a vote can be checked against what was shown.
CREATE TABLE answers (
    message_id  INTEGER PRIMARY KEY,
    entry_id    TEXT    NOT NULL,
    guild_id    INTEGER,
    channel_id  INTEGER,
    created_at  REAL    NOT NULL
);
CREATE INDEX answers_entry ON answers (entry_id);

-- One vote per user per answer: step number, or NULL for "none of these worked".
CREATE TABLE votes (
    message_id  INTEGER NOT NULL REFERENCES answers (message_id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    step        INTEGER,
    voted_at    REAL    NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
CREATE INDEX votes_time ON votes (voted_at);
