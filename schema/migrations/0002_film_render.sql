-- Rendering films: where a film's files live, why it failed, what each frame is.
-- A film's folder holds frames/NNNNNN.png, maps/NNNNNN.png (attribution maps), film.mp4,
-- timeline.json and provenance.json; the catalog keeps the folder so that the server serves
-- frames by (film id, frame number) and never by a path from a request.
ALTER TABLE films ADD COLUMN output_dir TEXT;
ALTER TABLE films ADD COLUMN error TEXT;
ALTER TABLE films ADD COLUMN frame_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE films ADD COLUMN updated_at TEXT;

-- diffused: 1 for a frame the denoiser drew, 0 for a cadence in-between (warped and blended).
-- has_map: 1 when maps/NNNNNN.png exists for the frame.
ALTER TABLE film_frames ADD COLUMN diffused INTEGER NOT NULL DEFAULT 1;
ALTER TABLE film_frames ADD COLUMN has_map INTEGER NOT NULL DEFAULT 0;
