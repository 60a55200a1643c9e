#[path = "../src/resolve.rs"]
#[allow(dead_code)]
mod resolve;
#[path = "../src/version.rs"]
#[allow(dead_code)]
mod version;
fn main() {}
