-- Language guidance, film metrics and sweeps.
--
-- film_frames.language: the share of the frame that language guidance drew (guidance_mode clip:
-- pixels moved by the CLIP gradient rather than taken from a record; synth/clip_guidance.h).
-- provenance.record_id references records, so the `language` role's share is kept here, and the
-- view frame_weights shows it as a provenance row with record_id 0 (the language sentinel).
-- film_frames.clip_score .. novelty: the film metrics of the frame (synth/film_metrics.h), NULL
-- where they were not measured (no CLIP model, or no previous frame for flicker).
-- jobs.kind: 'render' (POST /api/v1/films) or 'sweep' (POST /api/v1/sweeps, whose film_id is the
-- planned film the sweep varies).
ALTER TABLE film_frames ADD COLUMN language REAL NOT NULL DEFAULT 0;
ALTER TABLE film_frames ADD COLUMN clip_score REAL;
ALTER TABLE film_frames ADD COLUMN flicker REAL;
ALTER TABLE film_frames ADD COLUMN top_share REAL;
ALTER TABLE film_frames ADD COLUMN entropy REAL;
ALTER TABLE film_frames ADD COLUMN novelty REAL;
ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'render' CHECK (kind IN ('render', 'sweep'));
CREATE VIEW frame_weights(film_id, frame, record_id, role, weight) AS
  SELECT film_id, frame, record_id, role, weight FROM provenance
  UNION ALL
  SELECT film_id, frame, 0, 'language', language FROM film_frames WHERE language > 0;
