#[path = "../src/version.rs"]
#[allow(dead_code)]
mod version;
#[path = "../src/resolve.rs"]
#[allow(dead_code)]
mod resolve;
fn main() {}
