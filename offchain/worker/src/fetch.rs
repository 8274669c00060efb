//! Fetching a prompt given by URI (an empty inline prompt with a
//! `promptHash` and a `promptUri`): over HTTP(S) only, bounded in size and
//! time, checked against the hash. The URI comes from whoever sent the
//! request, so by default only public addresses are reached (no loopback,
//! private or link-local hosts, no redirects), and nothing is trusted until
//! its keccak256 matches.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use alloy::{
    primitives::{keccak256, B256},
    transports::http::reqwest::{
        self,
        dns::{Addrs, Name, Resolve, Resolving},
        redirect, Url,
    },
};
use anyhow::{bail, ensure, Context, Result};

/// Fetches prompts by URI.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    max_bytes: usize,
    allow_private: bool,
}

impl Fetcher {
    /// A fetcher that reads at most `max_bytes` within `timeout`; with
    /// `allow_private`, loopback and private hosts too (tests, a prompt
    /// store on the operator's own network).
    pub fn new(max_bytes: usize, timeout: Duration, allow_private: bool) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect could lead to a private address the check below
            // never saw.
            .redirect(redirect::Policy::none())
            .no_proxy();
        if !allow_private {
            builder = builder.dns_resolver(PublicOnly);
        }
        let client = builder.build().context("building the prompt fetcher")?;
        Ok(Self { client, max_bytes, allow_private })
    }

    /// The prompt at `uri`, whose keccak256 must be `hash`.
    ///
    /// # Errors
    /// As [`Self::fetch_bytes`], and bytes that do not match `hash`.
    pub async fn fetch(&self, uri: &[u8], hash: B256) -> Result<Vec<u8>> {
        let body = self.fetch_bytes(uri).await?;
        ensure!(
            keccak256(&body) == hash,
            "{:?} does not match its hash (the request's promptHash)",
            String::from_utf8_lossy(uri)
        );
        Ok(body)
    }

    /// The bytes at `uri` (public http(s) only unless allowed, bounded in
    /// size and time), unchecked: for content whose hash is checked after
    /// it is opened.
    ///
    /// # Errors
    /// A URI that is not public http(s), a failed or slow fetch, too many
    /// bytes.
    pub async fn fetch_bytes(&self, uri: &[u8]) -> Result<Vec<u8>> {
        let uri = std::str::from_utf8(uri).context("the prompt URI is not UTF-8")?;
        let url = Url::parse(uri).with_context(|| format!("{uri:?} is not a URL"))?;
        ensure!(matches!(url.scheme(), "http" | "https"), "{uri:?} is not http(s)");
        if !self.allow_private {
            // Names go through the resolver; addresses written out do not.
            if let Some(ip) = host_ip(&url) {
                ensure!(is_public(ip), "{uri:?} names a non-public address");
            }
        }
        let mut response =
            self.client.get(url).send().await.with_context(|| format!("fetching {uri:?}"))?;
        let status = response.status();
        ensure!(status.is_success(), "{uri:?} answered {status}");
        if response.content_length().is_some_and(|n| n > self.max_bytes as u64) {
            bail!("{uri:?} is larger than {} bytes", self.max_bytes);
        }
        let mut body = Vec::new();
        while let Some(chunk) =
            response.chunk().await.with_context(|| format!("reading {uri:?}"))?
        {
            ensure!(
                body.len() + chunk.len() <= self.max_bytes,
                "{uri:?} is larger than {} bytes",
                self.max_bytes
            );
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn host_ip(url: &Url) -> Option<IpAddr> {
    // IPv6 hosts are written in brackets.
    url.host_str()?.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// Whether `ip` is reachable on the public internet (not loopback,
/// private, link-local, shared, unspecified or multicast).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            let shared = a == 100 && (64..128).contains(&b);
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || shared
                || a == 0)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local())
            }
        },
    }
}

/// A resolver that drops non-public addresses, so that a name resolving to
/// one (or rebinding to one after a check) is never connected to.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::{routing::get, Router};

    use super::*;

    async fn server() -> String {
        let app = Router::new()
            .route("/p", get(|| async { "a prompt" }))
            .route("/big", get(|| async { "x".repeat(100) }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn h1_fetches_are_bounded_and_checked_against_the_hash() {
        let base = server().await;
        let fetcher = Fetcher::new(64, Duration::from_secs(2), true).unwrap();
        let get = |path: &str, hash| {
            let (fetcher, uri) = (fetcher.clone(), format!("{base}{path}"));
            async move { fetcher.fetch(uri.as_bytes(), hash).await }
        };
        assert_eq!(get("/p", keccak256("a prompt")).await.unwrap(), b"a prompt");
        let err = get("/p", keccak256("another")).await.unwrap_err().to_string();
        assert!(err.contains("promptHash"), "{err}");
        let err = get("/missing", keccak256("a prompt")).await.unwrap_err().to_string();
        assert!(err.contains("404"), "{err}");
        let err = get("/big", keccak256("x".repeat(100))).await.unwrap_err().to_string();
        assert!(err.contains("larger than 64"), "{err}");
        assert!(fetcher.fetch(b"ftp://example.com/p", B256::ZERO).await.is_err());
        assert!(fetcher.fetch(&[0xff, 0xfe], B256::ZERO).await.is_err());
    }

    #[tokio::test]
    async fn h1_private_hosts_are_refused_unless_allowed() {
        let base = server().await;
        let public_only = Fetcher::new(64, Duration::from_secs(2), false).unwrap();
        let err = public_only.fetch(format!("{base}/p").as_bytes(), keccak256("a prompt")).await;
        assert!(err.unwrap_err().to_string().contains("non-public"));
        let by_name = base.replace("127.0.0.1", "localhost");
        let err = public_only.fetch(format!("{by_name}/p").as_bytes(), keccak256("a prompt")).await;
        assert!(err.is_err(), "a name resolving to loopback is not connected to");
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
