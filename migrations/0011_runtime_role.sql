-- Least privilege: migrations run as the role that owns every table (the owner); the gateway and
-- every other runtime process log in as a role that is a member of clinic_runtime, owns nothing, and
-- holds only the DML below. Above all it may only INSERT into and SELECT from audit_log: the
-- append-only trigger of 0007 cannot be disabled by a role that does not own the table.
--
-- Roles belong to the whole server, grants to this database. The login roles themselves are made by
-- `python -m gateway.cli migrate --runtime-login` (docs/OPERATIONS.md, "Database roles").
--
-- Every later migration that creates a table grants clinic_runtime what it needs explicitly (there
-- are no default privileges on purpose: a forgotten grant fails loudly, it never grants too much);
-- tests/gateway/test_db.py holds the expected privileges of every table.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'clinic_runtime') THEN
        BEGIN
            CREATE ROLE clinic_runtime NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another database on this server created it at the same moment
        END;
    END IF;
    IF EXISTS (
        SELECT FROM pg_roles
        WHERE rolname = 'clinic_runtime' AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolcanlogin)
    ) THEN
        RAISE EXCEPTION 'role clinic_runtime exists with more than NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS';
    END IF;
    -- PostgreSQL before 15 lets everyone create tables in public; nobody but the owner should.
    IF has_schema_privilege('public', 'public', 'CREATE') THEN
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO clinic_runtime;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, clinic_runtime;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC, clinic_runtime;

-- Identity columns draw from their sequences without any grant on them, so there are none.
GRANT SELECT, INSERT, UPDATE ON conversations TO clinic_runtime;
GRANT SELECT, INSERT ON messages TO clinic_runtime;
-- Keys are issued and revoked by operators (gateway.cli keys, as the owner); the gateway only checks them.
GRANT SELECT ON api_keys TO clinic_runtime;
-- The clinic's doctors and timetables are maintained by operators; the gateway reads them.
GRANT SELECT ON specialties, doctors, doctor_schedules, schedule_overrides TO clinic_runtime;
GRANT SELECT, INSERT ON patients TO clinic_runtime;
GRANT SELECT, INSERT, UPDATE ON appointments TO clinic_runtime;
GRANT SELECT, INSERT ON audit_log TO clinic_runtime;
GRANT SELECT, INSERT, UPDATE ON whatsapp_inbound TO clinic_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON chat_requests TO clinic_runtime;
-- schema_migrations: nothing; only the owner reads or writes it.
