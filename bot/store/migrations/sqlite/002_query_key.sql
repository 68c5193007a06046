-- Group unmatched questions by a Unicode case- and space-folded key (SQLite's lower() is ASCII).
ALTER TABLE lookups ADD COLUMN query_key TEXT;
UPDATE lookups SET query_key = lower(trim(query)) WHERE query IS NOT NULL;
CREATE INDEX lookups_unmatched ON lookups (query_key) WHERE entry_id IS NULL;
