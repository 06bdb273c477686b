-- What made a source's derived records: the engine and model of each stage that reads more out of
-- a file than its bytes (speech transcription, OCR, audio segmentation), as a JSON object such as
-- {"audio": "libavfilter ... silencedetect+ebur128: ...", "speech": "pocketsphinx en-us 1a2b...",
--  "ocr": "tesseract 5.3.0 eng psm3"}. Ingest compares it with what the run would use: an unchanged
-- file whose records were made by another engine or model is ingested again (its records replaced
-- together, as for a changed file), so a better engine replaces transcripts instead of adding
-- duplicates. Sources ingested before this migration have '{}' and so gain their derived records
-- on the next run.
ALTER TABLE sources ADD COLUMN derived_with TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(derived_with));
