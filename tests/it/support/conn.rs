//! One HTTP/1.1 client connection on a raw socket, kept alive across requests: bytes go out
//! exactly as written and each answer is read by its own framing, so tests can see what
//! a connection does between requests (`Connection: close`, an EOF, a reset, bytes left
//! over from an earlier answer).

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the server said it closes the connection after this answer.
    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

fn eof(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, what.to_string())
}

impl Conn {
    pub async fn open(port: u16) -> io::Result<Conn> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
        })
    }

    /// Like [`Conn::open`] from the loopback address `source` (any `127.x.y.z`). Its port
    /// is chosen at connect time (`IP_BIND_ADDRESS_NO_PORT`), so many source addresses
    /// share the ephemeral port range: tens of thousands of connections to one server
    /// port then connect quickly, instead of each `connect` searching a crowded range.
    pub async fn open_from(port: u16, source: std::net::Ipv4Addr) -> io::Result<Conn> {
        use std::os::fd::AsRawFd;
        let socket = tokio::net::TcpSocket::new_v4()?;
        let one: libc::c_int = 1;
        // SAFETY: setsockopt reads `one` (an int) for the length given.
        let rc = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::IPPROTO_IP,
                libc::IP_BIND_ADDRESS_NO_PORT,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        socket.bind((source, 0).into())?;
        let stream = socket.connect(([127, 0, 0, 1], port).into()).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
        })
    }

    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Sends `head` (request line and header lines joined by `\r\n`, without the blank
    /// line) and reads the answer.
    pub async fn request(&mut self, head: &str) -> io::Result<Resp> {
        self.send(format!("{head}\r\n\r\n").as_bytes()).await?;
        self.response().await
    }

    /// `GET path` with `Host: host`, kept alive.
    pub async fn get(&mut self, host: &str, path: &str) -> io::Result<Resp> {
        self.request(&format!("GET {path} HTTP/1.1\r\nHost: {host}"))
            .await
    }

    async fn more(&mut self) -> io::Result<bool> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }

    async fn take_line(&mut self) -> io::Result<String> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..i]).into_owned();
                self.buf.drain(..i + 2);
                return Ok(line);
            }
            if !self.more().await? {
                return Err(eof("closed inside a line"));
            }
        }
    }

    async fn take(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() < n {
            if !self.more().await? {
                return Err(eof("closed inside a body"));
            }
        }
        Ok(self.buf.drain(..n).collect())
    }

    /// Reads one answer. An `UnexpectedEof` error whose message is "closed before an
    /// answer" means the server closed the connection without answering.
    pub async fn response(&mut self) -> io::Result<Resp> {
        while self.buf.is_empty() {
            if !self.more().await? {
                return Err(eof("closed before an answer"));
            }
        }
        let status_line = self.take_line().await?;
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidData, format!("{status_line:?}"))
            })?;
        let mut headers = Vec::new();
        loop {
            let line = self.take_line().await?;
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let mut resp = Resp {
            status,
            headers,
            body: Vec::new(),
        };
        if matches!(status, 100..=199 | 204 | 304) {
            return Ok(resp);
        }
        if resp
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            loop {
                let size = self.take_line().await?;
                let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, size.clone()))?;
                let data = self.take(size + 2).await?;
                if size == 0 {
                    break;
                }
                resp.body.extend_from_slice(&data[..size]);
            }
        } else if let Some(len) = resp.header("content-length") {
            let len: usize = len
                .parse()
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, len.to_string()))?;
            resp.body = self.take(len).await?;
        } else {
            while self.more().await? {}
            resp.body = std::mem::take(&mut self.buf);
        }
        Ok(resp)
    }

    /// Waits up to `within` for the server to close: `Ok(true)` on EOF or reset,
    /// `Ok(false)` when it is still open, an error when bytes arrive instead.
    pub async fn closes_within(&mut self, within: Duration) -> io::Result<bool> {
        if !self.buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unread bytes: {:?}", String::from_utf8_lossy(&self.buf)),
            ));
        }
        let mut chunk = [0u8; 1024];
        match tokio::time::timeout(within, self.stream.read(&mut chunk)).await {
            Err(_) => Ok(false),
            Ok(Ok(0)) => Ok(true),
            Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionReset => Ok(true),
            Ok(Err(e)) => Err(e),
            Ok(Ok(n)) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "unexpected bytes: {:?}",
                    String::from_utf8_lossy(&chunk[..n])
                ),
            )),
        }
    }
}
