-- Moderators' reports cover the server they are asked in: index lookups and answers by guild.
CREATE INDEX lookups_guild ON lookups (guild_id, created_at);
DROP INDEX lookups_unmatched;
CREATE INDEX lookups_unmatched ON lookups (guild_id, query_key) WHERE entry_id IS NULL;
CREATE INDEX answers_guild ON answers (guild_id, created_at);
