//! The optional Prometheus listener: `GET /metrics` in the text exposition format.

use async_trait::async_trait;
use axum::routing::get;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;

pub struct MetricsService {
    pub addr: std::net::SocketAddr,
}

async fn render() -> ([(http::HeaderName, &'static str); 1], String) {
    (
        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::metrics().render(),
    )
}

#[async_trait]
impl BackgroundService for MetricsService {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let listener = match tokio::net::TcpListener::bind(self.addr).await {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(address = %self.addr, error = %e, "metrics listener could not bind");
                return;
            }
        };
        tracing::info!(address = %self.addr, "metrics listening");
        let app = axum::Router::new().route("/metrics", get(render));
        let stop = async move {
            let _ = shutdown.changed().await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(error = %e, "metrics listener failed");
        }
    }
}
