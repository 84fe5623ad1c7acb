-- Refused calls are audited too (a /staff call without a key, with an unknown, revoked or under-scoped
-- one): their actor is 'api_key:<prefix>' (the prefix the presented key claims, never its secret) or
-- 'anonymous' (no key, or one not shaped like ours). gateway/audit.py holds the vocabulary.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_check
    CHECK (actor ~ '^((patient|phone|staff|system|api_key):.+|anonymous)$' AND length(actor) <= 200);
