//! dvm detect: ask a daemon for its version and pick the matching client.
