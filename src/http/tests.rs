use super::*;

#[test]
fn backoff_doubles_from_the_configured_base() {
    let f = Fetcher::new(
        &Context::empty("/"),
        NetConfig {
            retry_backoff: Duration::from_millis(10),
            ..NetConfig::default()
        },
    )
    .unwrap();
    let waits: Vec<_> = (1..=4).map(|n| f.backoff(n).as_millis()).collect();
    assert_eq!(waits, [10, 20, 40, 80]);
}

#[test]
fn describe_follows_causes_without_repeats() {
    let inner = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
    let outer = std::io::Error::other(inner);
    assert_eq!(describe(&outer), "reset by peer");
}
