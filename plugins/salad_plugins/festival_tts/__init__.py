"""Festival (Debian ``festival`` + voice packages), called through ``text2wave``."""
