-- What the votes teach: the question behind each answer, users' picks, moderators' links.
-- The question an answer was given for, so a pick from its "Did you mean…" can be learned.
ALTER TABLE answers ADD COLUMN question TEXT;
-- One pick per user and question: the entry chosen from "Did you mean…".
CREATE TABLE picks (
    guild_id    INTEGER NOT NULL,
    query_key   TEXT    NOT NULL,
    user_id     INTEGER NOT NULL,
    question    TEXT    NOT NULL,
    entry_id    TEXT    NOT NULL,
    picked_at   REAL    NOT NULL,
    PRIMARY KEY (guild_id, query_key, user_id)
);
CREATE INDEX picks_time ON picks (picked_at);
-- Questions a server's moderators linked to an entry ("this is accounts:408").
CREATE TABLE learned (
    guild_id    INTEGER NOT NULL,
    query_key   TEXT    NOT NULL,
    phrase      TEXT    NOT NULL,
    entry_id    TEXT    NOT NULL,
    linked_by   INTEGER NOT NULL,
    linked_at   REAL    NOT NULL,
    PRIMARY KEY (guild_id, query_key)
);
