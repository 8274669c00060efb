//! A JSON-RPC proxy that fails one request in `every` (HTTP 502, or one
//! in four of those a hang past the client's timeout), chosen by a fixed
//! pseudo-random sequence so runs repeat, for testing the worker against
//! a flaky node.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use axum::{body::Bytes, extract::State, http::StatusCode, routing::post, Router};

struct Shared {
    upstream: String,
    every: usize,
    count: AtomicUsize,
    failures: AtomicUsize,
    client: alloy::transports::http::reqwest::Client,
}

/// The running proxy.
pub struct Proxy {
    addr: std::net::SocketAddr,
    shared: Arc<Shared>,
}

impl Proxy {
    /// Proxies to `upstream`, failing about one call in `every`.
    pub async fn start(upstream: &str, every: usize) -> Self {
        let shared = Arc::new(Shared {
            upstream: upstream.to_owned(),
            every,
            count: AtomicUsize::new(0),
            failures: AtomicUsize::new(0),
            client: alloy::transports::http::reqwest::Client::new(),
        });
        let app = Router::new().route("/", post(forward)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, shared }
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Calls it failed.
    pub fn failures(&self) -> usize {
        self.shared.failures.load(Ordering::Relaxed)
    }
}

async fn forward(
    State(s): State<Arc<Shared>>,
    body: Bytes,
) -> Result<(StatusCode, [(&'static str, &'static str); 1], Bytes), StatusCode> {
    let n = s.count.fetch_add(1, Ordering::Relaxed) as u64;
    let roll = splitmix64(n);
    if roll.is_multiple_of(s.every as u64) {
        s.failures.fetch_add(1, Ordering::Relaxed);
        if (roll >> 32).is_multiple_of(4) {
            // Longer than the 1 s RPC timeout of the workers in the tests.
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
        return Err(StatusCode::BAD_GATEWAY);
    }
    let reply = s
        .client
        .post(&s.upstream)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    let bytes = reply.bytes().await.map_err(|_| StatusCode::BAD_GATEWAY)?;
    Ok((StatusCode::OK, [("content-type", "application/json")], bytes))
}

/// `SplitMix64`: a well-mixed, repeatable sequence.
fn splitmix64(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
