-- The listing's photos as the images step saw them (markwatch.Photo, JSON:
-- URL, SHA-256 in the image store, size, refusal, OCR text); ocr_text (0003)
-- holds their OCR text for search.
ALTER TABLE listings ADD COLUMN photos TEXT NOT NULL DEFAULT '';
