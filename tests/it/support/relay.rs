//! A TCP relay to put between passgate and PostgreSQL, so a test can cut the store off
//! (every connection closed, new ones refused) and bring it back.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct Relay {
    pub port: u16,
    target: SocketAddr,
    accept: Option<JoinHandle<()>>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Relay {
    pub async fn start(target: SocketAddr) -> Relay {
        let mut relay = Relay {
            port: 0,
            target,
            accept: None,
            conns: Arc::default(),
        };
        relay.resume(super::free_port()).await;
        relay
    }

    /// Listens (again) on `port`.
    async fn resume(&mut self, port: u16) {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind relay");
        self.port = port;
        let target = self.target;
        let conns = self.conns.clone();
        self.accept = Some(tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                conns.lock().unwrap().push(task);
            }
        }));
    }

    /// Closes every relayed connection and stops listening.
    pub fn cut(&mut self) {
        if let Some(a) = self.accept.take() {
            a.abort();
        }
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    /// Listens on the same port again.
    pub async fn restore(&mut self) {
        self.resume(self.port).await;
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
    }
}
