//! The store: versions, manifests, locks, atomic installs, the default, the shim.
