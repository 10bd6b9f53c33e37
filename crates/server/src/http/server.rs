//! The HTTP listener. Each connection is served by hyper with a deadline for reading a
//! request's headers (a client that trickles them — slowloris — is cut off), the peer's
//! address is handed to handlers (`ConnectInfo`, for per-IP limits), WebSocket upgrades
//! pass through, and on shutdown every connection finishes its request and closes.

use std::{future::Future, net::SocketAddr, time::Duration};

use axum::{Router, body::Body, extract::ConnectInfo};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Serves `router` on `listener` until `shutdown` completes, then drains open connections.
pub async fn serve(listener: TcpListener, router: Router, header_read_timeout: Duration, shutdown: impl Future<Output = ()>) {
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: wait a little, keep serving.
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                connections.spawn(connection(stream, peer, router.clone(), header_read_timeout, closed.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
}

async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    header_read_timeout: Duration,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    let service = service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request.map(Body::new))
    });
    let served =
        http1::Builder::new().timer(TokioTimer::new()).header_read_timeout(header_read_timeout).serve_connection(TokioIo::new(stream), service).with_upgrades();
    tokio::pin!(served);
    let outcome = tokio::select! {
        outcome = served.as_mut() => outcome,
        _ = closing.changed() => {
            served.as_mut().graceful_shutdown();
            served.await
        }
    };
    if let Err(error) = outcome {
        tracing::debug!(%error, %peer, "connection ended with an error");
    }
}
