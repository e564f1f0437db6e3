//! A small real SMTP server for the email tests: speaks enough of RFC 5321 (EHLO/HELO,
//! MAIL, RCPT, DATA, RSET, NOOP, QUIT) over TCP for `lettre`, and keeps every message.
//! A holding server ([`SmtpServer::start_holding`]) keeps each message but withholds its
//! `250` until the test releases it: the moment between a mail's arrival and the sender
//! learning that it was accepted.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

pub struct SmtpServer {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Mail>>>,
    /// For a holding server: one permit per `250` it may send.
    hold: Option<Arc<tokio::sync::Semaphore>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    /// Listens on 127.0.0.1:`port` (0: any free port).
    pub async fn start(port: u16) -> SmtpServer {
        Self::listen(port, None).await
    }

    /// Like [`SmtpServer::start`], but each message's `250` waits for [`SmtpServer::release`].
    pub async fn start_holding(port: u16) -> SmtpServer {
        Self::listen(port, Some(Arc::new(tokio::sync::Semaphore::new(0)))).await
    }

    /// Lets a held message's `250` go out.
    pub fn release(&self) {
        if let Some(h) = &self.hold {
            h.add_permits(1);
        }
    }

    async fn listen(port: u16, hold: Option<Arc<tokio::sync::Semaphore>>) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind smtp");
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let store = mails.clone();
        let held = hold.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let store = store.clone();
                let held = held.clone();
                tokio::spawn(async move {
                    let _ = session(sock, store, held).await;
                });
            }
        });
        SmtpServer {
            port,
            mails,
            hold,
            task,
        }
    }

    /// Waits for the `n`th message (1-based) for up to `secs`.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Mail {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(m) = self.mails.lock().unwrap().get(n - 1) {
                return m.clone();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no mail #{n} within {secs}s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn session(
    sock: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<Mail>>>,
    hold: Option<Arc<tokio::sync::Semaphore>>,
) -> std::io::Result<()> {
    let (read, mut write) = sock.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 localhost test SMTP\r\n").await?;
    let mut mail = Mail {
        from: String::new(),
        to: Vec::new(),
        data: String::new(),
    };
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-localhost\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("RSET") {
            mail.to.clear();
            mail.data.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            mail.from = line[10..].trim().to_string();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            mail.to.push(line[8..].trim().to_string());
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
                data.push('\n');
            }
            mail.data = data;
            store.lock().unwrap().push(mail.clone());
            if let Some(h) = &hold {
                h.acquire().await.expect("hold").forget();
            }
            b"250 OK queued\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

/// The binding link in a message (undoing quoted-printable soft breaks and `=3D`).
pub fn link_in(mail: &Mail) -> String {
    let text = mail.data.replace("=\n", "").replace("=3D", "=");
    let start = text.find("http").expect("a link in the mail");
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}
