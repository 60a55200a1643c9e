//! Where Docker's clients can be downloaded: one module per source, plus mirrors and selection.
