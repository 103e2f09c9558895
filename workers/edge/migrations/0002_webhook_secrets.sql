-- One webhook signing secret per API key (Standard Webhooks' whsec_…), shown once
-- when made (POST /v1/webhooks/secret; again = rotate). Kept as is, not hashed:
-- signing an HMAC needs the secret itself.
CREATE TABLE webhook_secrets (
  key_id TEXT PRIMARY KEY REFERENCES api_keys(id),
  secret TEXT NOT NULL,
  created_at TEXT NOT NULL
);
