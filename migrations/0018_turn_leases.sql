-- A patient's messages take turns on every gateway copy: a turn holds its phone's lease, a row taken and given
-- back in short statements, so no connection stays held while the model writes (ChatService, TurnLeases).
-- A copy that dies mid-turn leaves its lease to expire: `expires_at` is the turn's deadline and a margin that no
-- live turn outlasts.
CREATE TABLE turn_leases (
    -- A hash of the phone (TurnLeases.key): a lease left by a dead copy keeps no phone number.
    key text PRIMARY KEY,
    -- The turn holding it: only that turn gives it back.
    holder uuid NOT NULL,
    expires_at timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON turn_leases TO clinic_runtime;
