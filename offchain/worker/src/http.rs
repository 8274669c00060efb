//! Serving an axum router in the background: the worker's metrics and its
//! chat API.

use std::net::SocketAddr;

use axum::Router;

/// Serves `app` on `listen` until `shutdown` resolves; returns the bound
/// address (port 0 picks one). `what` names the server in the log if it
/// stops with an error.
///
/// # Errors
/// The listener cannot bind.
pub async fn serve(
    listen: SocketAddr,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    what: &'static str,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::error!("{what} server stopped: {e}");
        }
    });
    Ok(addr)
}
