//! A TCP relay to put between passgate and PostgreSQL, so a test can cut the store off
//! (every connection closed, new ones refused) and bring it back, or silence it (every
//! connection kept open but nothing passed on: a network dropping packets).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct Relay {
    pub port: u16,
    target: SocketAddr,
    accept: Option<JoinHandle<()>>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    stalled: tokio::sync::watch::Sender<bool>,
}

impl Relay {
    pub async fn start(target: SocketAddr) -> Relay {
        let mut relay = Relay {
            port: 0,
            target,
            accept: None,
            conns: Arc::default(),
            stalled: tokio::sync::watch::Sender::new(false),
        };
        relay.resume(super::free_port()).await;
        relay
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
        self.accept = Some(tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut stall = stalled.subscribe();
                let task = tokio::spawn(async move {
                    let silent = *stall.borrow();
                    if silent {
                        // Silent: the connection stays open, nothing answers.
                        std::future::pending::<()>().await;
                    }
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = async {
                                loop {
                                    let now = *stall.borrow_and_update();
                                    if now || stall.changed().await.is_err() {
                                        return;
                                    }
                                }
                            } => {
                                // Both sockets held open, nothing passed on.
                                std::future::pending::<()>().await;
                            }
                        }
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

    /// Listens on the same port again (and passes data on again).
    pub async fn restore(&mut self) {
        self.stalled.send_replace(false);
        self.resume(self.port).await;
    }

    /// Keeps every connection, old and new, open but passes nothing on (until [`cut`]).
    ///
    /// [`cut`]: Relay::cut
    pub fn stall(&self) {
        self.stalled.send_replace(true);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
    }
}
