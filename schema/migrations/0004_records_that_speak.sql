-- Records that speak and carry writing: `audio`, `speech` and `ocr` records; audio files and PDFs
-- as sources; `borrowed` (a picture lent by another shot) and `language` (pixels drawn by
-- language guidance) as provenance roles.
--
-- SQLite cannot alter a CHECK constraint, and rebuilding `records` would cascade into thumbnails,
-- embeddings and provenance. Every existing row already meets the wider constraints, so, as
-- SQLite's documentation allows for loosening a constraint, the stored table definitions are
-- edited in place; the migration runner bumps schema_version after a migration that does this, so
-- every connection reads the new definitions.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, '''image'', ''video'', ''text'', ''subtitle''',
                          '''image'', ''video'', ''text'', ''subtitle'', ''audio'', ''pdf''')
 WHERE type = 'table' AND name = 'sources';
UPDATE sqlite_schema
   SET sql = replace(sql, '''image'', ''frame'', ''text'', ''subtitle''',
                          '''image'', ''frame'', ''text'', ''subtitle'', ''audio'', ''speech'', ''ocr''')
 WHERE type = 'table' AND name = 'records';
UPDATE sqlite_schema
   SET sql = replace(sql, '''keyframe'', ''guidance'', ''denoiser'', ''init''',
                          '''keyframe'', ''guidance'', ''denoiser'', ''init'', ''borrowed'', ''language''')
 WHERE type = 'table' AND name = 'provenance';
PRAGMA writable_schema = OFF;
