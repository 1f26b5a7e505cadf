#!/usr/bin/env bash
# Least-privilege roles for postpay's containers, run once by the postgres image when its data
# volume is first created (/docker-entrypoint-initdb.d). On an existing volume, run it by hand:
#   docker compose exec -T postgres bash < deploy/postgres-init/10-roles.sh
#
#   postpay_owner     owns the schema; `npm run db:migrate` only (creates and alters tables)
#   postpay_services  the Restate service endpoint: reads and writes every table, drops none
#   postpay_http      the HTTP app: only the tables it serves, and only the verbs it uses; no
#                     DELETE, no TRUNCATE, no DDL, nothing of the inventory ledger
#
# Tables do not exist yet (the migrate one-shot creates them as postpay_owner), so the services'
# rights are default privileges, and the HTTP app's, which differ per table, are granted by an
# event trigger as each table is created (and again if a migration re-creates one).
set -euo pipefail
: "${POSTPAY_OWNER_PASSWORD:?}" "${POSTPAY_SERVICES_PASSWORD:?}" "${POSTPAY_HTTP_PASSWORD:?}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_pw="$POSTPAY_OWNER_PASSWORD" -v services_pw="$POSTPAY_SERVICES_PASSWORD" -v http_pw="$POSTPAY_HTTP_PASSWORD" <<'SQL'
CREATE ROLE postpay_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE postpay_services LOGIN PASSWORD :'services_pw';
CREATE ROLE postpay_http LOGIN PASSWORD :'http_pw';

-- Only the owner creates anything: the schema it migrates and drizzle's bookkeeping schema.
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"DBNAME" TO postpay_owner, postpay_services, postpay_http;
GRANT CREATE ON DATABASE :"DBNAME" TO postpay_owner;
ALTER SCHEMA public OWNER TO postpay_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO postpay_services, postpay_http;

-- The service endpoint: every table's rows, never the tables themselves.
ALTER DEFAULT PRIVILEGES FOR ROLE postpay_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO postpay_services;
ALTER DEFAULT PRIVILEGES FOR ROLE postpay_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO postpay_services, postpay_http;

-- The HTTP app, table by table (src/http and what it calls in db/): what it reads, and the few
-- rows it writes itself (checkouts, verified Stripe and shipment events, an expired order, operator decisions).
CREATE TABLE public.postpay_http_grants (table_name text PRIMARY KEY, privileges text NOT NULL);
ALTER TABLE public.postpay_http_grants OWNER TO postpay_owner;
INSERT INTO public.postpay_http_grants VALUES
  ('centers', 'SELECT'),
  ('products', 'SELECT'),
  ('payment_sessions', 'SELECT, INSERT, UPDATE'),
  ('orders', 'SELECT, INSERT, UPDATE'),
  ('order_history', 'SELECT'),
  ('email_outbox', 'SELECT'),
  ('incidents', 'SELECT, UPDATE'),
  ('payment_events', 'SELECT, INSERT'),
  ('shipment_events', 'SELECT, INSERT, UPDATE'),
  ('stripe_events', 'SELECT, INSERT'),
  ('fulfillment_requests', 'SELECT');

CREATE FUNCTION public.postpay_grant_http() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE
  created record;
  granted text;
BEGIN
  FOR created IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE object_type = 'table' AND schema_name = 'public' LOOP
    SELECT privileges INTO granted FROM public.postpay_http_grants
      WHERE table_name = split_part(created.object_identity, '.', 2);
    IF granted IS NOT NULL THEN
      EXECUTE format('GRANT %s ON %s TO postpay_http', granted, created.object_identity);
    END IF;
  END LOOP;
END
$$;
CREATE EVENT TRIGGER postpay_grant_http ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION public.postpay_grant_http();
SQL
