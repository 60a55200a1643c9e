//! Settings from the config file and environment.
