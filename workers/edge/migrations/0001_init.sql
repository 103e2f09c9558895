-- API keys: only the SHA-256 of the key is stored; the key itself is shown once.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,                  -- public key id, the "ik_<id>_" part of the key
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,        -- lowercase hex sha256 of the whole key
  scopes TEXT NOT NULL,                 -- comma-separated: generate, notebooks, admin
  rate_limit_per_minute INTEGER NOT NULL CHECK (rate_limit_per_minute > 0),
  created_at TEXT NOT NULL,
  revoked_at TEXT
);

-- Notebooks belong to the key that created them; version drives the ETag.
CREATE TABLE notebooks (
  id TEXT PRIMARY KEY,
  owner_key_id TEXT NOT NULL REFERENCES api_keys(id),
  title TEXT NOT NULL,
  content TEXT NOT NULL,                -- JSON
  version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX notebooks_owner ON notebooks(owner_key_id, updated_at);

-- Images are content-addressed: id = sha256 of the PNG bytes, stored in R2 as images/<id>.png.
CREATE TABLE images (
  id TEXT PRIMARY KEY,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  created_at TEXT NOT NULL
);

-- Lineage: every time a job produced an image, with the stage it ended at and,
-- for upscales, the image it started from. One image may have several rows
-- (the same request run twice is deterministic and yields the same bytes).
CREATE TABLE image_lineage (
  image_id TEXT NOT NULL REFERENCES images(id),
  job_id TEXT NOT NULL,
  image_index INTEGER NOT NULL,
  owner_key_id TEXT NOT NULL,
  stage TEXT NOT NULL,
  seed INTEGER NOT NULL,
  parent_image_id TEXT REFERENCES images(id),
  params TEXT NOT NULL,                 -- JSON: the request as the job ran it
  created_at TEXT NOT NULL,
  PRIMARY KEY (image_id, job_id, image_index)
);
CREATE INDEX image_lineage_parent ON image_lineage(parent_image_id);
