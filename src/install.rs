//! Installing: from a local file or URL, or from the remote sources.
