-- V010: a rejected file's content looked up in raw.submissions by an index.
--
-- Why: raw.submissions grows by some 40,000 reports a year since the 2025 reform (3,321
-- communes a month, and the files sent again), and intake asks it about every batch of files
-- (ingest/load.py). For a rejected file it asks for the latest judging of the same content
-- (the same content rejected for the same reasons before is that judging again): by
-- content_sha256, which had no index, so every submission was read.

create index if not exists submissions_content_sha256_idx on raw.submissions (content_sha256);
