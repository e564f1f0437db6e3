//! A TCP relay to put between passgate and PostgreSQL, so a test can cut the store off
//! (every connection closed, new ones refused) and bring it back, or silence it (every
//! connection kept open but nothing passed on: a network dropping packets).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct Relay {
    pub port: u16,
    target: SocketAddr,
    accept: Option<JoinHandle<()>>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    stalled: tokio::sync::watch::Sender<bool>,
    /// Bytes that, seen from passgate, silence the relay (see [`Relay::stall_on`]).
    trigger: Arc<Mutex<Option<Vec<u8>>>>,
}

/// Passes bytes on until EOF; once the relay is silenced it holds both ends open and
/// passes nothing. `trigger`: silence the relay when these bytes go through (before
/// passing them on).
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    stalled: &tokio::sync::watch::Sender<bool>,
    trigger: Option<&Mutex<Option<Vec<u8>>>>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let pattern = trigger.and_then(|t| t.lock().unwrap().clone());
        if let Some(p) = pattern {
            if buf[..n].windows(p.len()).any(|w| w == p.as_slice()) {
                stalled.send_replace(true);
            }
        }
        if *stalled.borrow() {
            std::future::pending::<()>().await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl Relay {
    pub async fn start(target: SocketAddr) -> Relay {
        let mut relay = Relay {
            port: 0,
            target,
            accept: None,
            conns: Arc::default(),
            stalled: tokio::sync::watch::Sender::new(false),
            trigger: Arc::default(),
        };
        relay.resume(super::free_port()).await;
        relay
    }

    /// A relay in front of the PostgreSQL server `url` names, and `url` rewritten to go
    /// through it.
    pub async fn to_postgres(url: &str) -> (Relay, url::Url) {
        use std::net::ToSocketAddrs;
        let pg = url::Url::parse(url).unwrap();
        let target = (pg.host_str().unwrap(), pg.port().unwrap_or(5432))
            .to_socket_addrs()
            .unwrap()
            .next()
            .unwrap();
        let relay = Relay::start(target).await;
        let mut relayed = pg;
        relayed.set_host(Some("127.0.0.1")).unwrap();
        relayed.set_port(Some(relay.port)).unwrap();
        (relay, relayed)
    }

    /// Listens (again) on `port`.
    async fn resume(&mut self, port: u16) {
        // An aborted accept task lets go of the port a moment later.
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", port)).await {
                Ok(l) => break l,
                Err(_) if tries < 40 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => panic!("bind relay: {e}"),
            }
        };
        self.port = port;
        let target = self.target;
        let conns = self.conns.clone();
        let stalled = self.stalled.clone();
        let trigger = self.trigger.clone();
        self.accept = Some(tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let stalled = stalled.clone();
                let trigger = trigger.clone();
                let task = tokio::spawn(async move {
                    if *stalled.borrow() {
                        // Silent: the connection stays open, nothing answers.
                        std::future::pending::<()>().await;
                    }
                    let Ok(outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (from_client, to_client) = inbound.into_split();
                    let (from_server, to_server) = outbound.into_split();
                    tokio::join!(
                        pump(from_client, to_server, &stalled, Some(&trigger)),
                        pump(from_server, to_client, &stalled, None),
                    );
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

    /// Listens on the same port again (and passes data on again).
    pub async fn restore(&mut self) {
        self.stalled.send_replace(false);
        *self.trigger.lock().unwrap() = None;
        self.resume(self.port).await;
    }

    /// Keeps every connection, old and new, open but passes nothing on (until [`cut`]).
    ///
    /// [`cut`]: Relay::cut
    pub fn stall(&self) {
        self.stalled.send_replace(true);
    }

    /// Goes silent (as [`Relay::stall`]) the moment passgate sends `bytes` (e.g. a
    /// statement's text): a database that stops answering in the middle of a transaction,
    /// on a connection already checked out of the pool.
    pub fn stall_on(&self, bytes: &[u8]) {
        *self.trigger.lock().unwrap() = Some(bytes.to_vec());
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
    }
}
