-- Films with sound: the soundtrack a render mixed into film.mp4, and the exact provenance of its
-- sound (which records are heard in each interval of the film, at which effective gain).
--
-- film_soundtracks: one row per film whose film.mp4 carries a soundtrack (none after a
-- `--no-sound` render). The provenance interval is one film frame when a frame is a whole number
-- of samples (48000 / fps), else one second; interval i covers samples
-- [i * interval_samples, min((i + 1) * interval_samples, samples)). Loudness columns are NULL
-- where the measure is -infinity (a silent soundtrack). warnings: a JSON array of strings.
CREATE TABLE film_soundtracks (
  film_id          INTEGER PRIMARY KEY REFERENCES films(id) ON DELETE CASCADE,
  sample_rate      INTEGER NOT NULL CHECK (sample_rate > 0),
  samples          INTEGER NOT NULL CHECK (samples >= 0),
  interval_samples INTEGER NOT NULL CHECK (interval_samples > 0),
  fps              REAL NOT NULL CHECK (fps > 0),
  clips            INTEGER NOT NULL DEFAULT 0,
  gain_db          REAL NOT NULL DEFAULT 0,
  mix_lufs         REAL,
  output_lufs      REAL,
  true_peak_dbtp   REAL,
  warnings         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(warnings)),
  created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- gain: the record's mean effective gain over the interval (its clip gain x fades x the one
-- normalisation gain; 0 on samples where it does not play). Per interval, the gains sum to the
-- mean total gain the mixer applied. Replaced with its soundtrack row (ON DELETE CASCADE).
CREATE TABLE film_sound (
  film_id   INTEGER NOT NULL REFERENCES film_soundtracks(film_id) ON DELETE CASCADE,
  interval  INTEGER NOT NULL CHECK (interval >= 0),
  record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
  gain      REAL NOT NULL CHECK (gain >= 0),
  PRIMARY KEY (film_id, interval, record_id)
) WITHOUT ROWID;
CREATE INDEX film_sound_record ON film_sound(record_id, film_id, interval);
