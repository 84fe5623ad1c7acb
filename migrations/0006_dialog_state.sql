-- Where a conversation stands in a booking, cancelling or verification flow (the dialog manager's
-- state), kept with the conversation so any gateway copy, or one restarted, can continue it.
ALTER TABLE conversations ADD COLUMN dialog_state jsonb NOT NULL DEFAULT '{}'::jsonb;
