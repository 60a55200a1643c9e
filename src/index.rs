//! ls-remote: listings from autoindex pages, yum repodata and the embedded legacy table, cached with a TTL.
