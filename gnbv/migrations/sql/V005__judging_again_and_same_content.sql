-- V005: a rejected file may be judged again; the same content is recognised, not only the same bytes.
--
-- Until now the file's SHA-256 was unique in raw.submissions, so the same bytes were judged once
-- for ever: a file rejected because of its context (the province not given, last month not yet
-- corrected) answered "DUPLICATE (rejected)" whatever had changed since. Now each judging of a
-- file is a row of its own (history is kept: raw stays append-only); intake treats the same
-- bytes as a duplicate only when they were accepted (ingest/load.py). The first judging keeps the
-- content-addressed id (the SHA-256's first 20 hex digits); a later one is <first 16>-<NNN>.
--
-- content_sha256 fingerprints what a file says — unit, period, every figure with its capital
-- vintage and note, the narrative — whatever bytes carry it (ingest.model.Submission): a
-- workbook opened and saved again without a change is the same content, answered DUPLICATE
-- against the version in force, and changes nothing; a rejected one saved again, with the same
-- reasons, is the same judging. Null for rows loaded before V005 and for files whose unit or
-- month could not be read.

alter table raw.submissions drop constraint if exists submissions_file_sha256_key;

create index if not exists submissions_file_sha256_idx on raw.submissions (file_sha256);

alter table raw.submissions add column if not exists content_sha256 text;

comment on column raw.submissions.file_sha256 is
    'SHA-256 of the file''s bytes; several rows when a rejected file was judged again';
comment on column raw.submissions.content_sha256 is
    'Fingerprint of the content (unit, period, figures, vintages, notes, narrative); null before V005 '
    'and where the unit or month could not be read';
