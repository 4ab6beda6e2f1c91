DROP TABLE IF EXISTS canned;
DROP TABLE IF EXISTS transcript;
DROP TABLE IF EXISTS session_agents;
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS visitor_tokens;
DROP TABLE IF EXISTS agents;
DROP TABLE IF EXISTS permissions;
DROP FUNCTION IF EXISTS parley_notify_permissions();
