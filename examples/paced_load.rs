//! A small HTTP/1.1 load client for `benches/compare.sh`, for what `wrk` does not do:
//!
//! - `rate`: a constant request rate over keep-alive connections (open loop, like `wrk2` or
//!   `oha -q`): each connection sends on a fixed schedule and each latency is measured from
//!   the time the request was *due*, so a stall is counted for every request it delayed
//!   (no coordinated omission). `--rate 0` sends as fast as the connections allow.
//! - `--cookies FILE`: one `Cookie` header value per line, used in turn (to fill passgate's
//!   session cache with many distinct sessions); with `--rate 0`, each one once.
//! - `--count N`: stop after N requests in all (and at `--secs` at the latest).
//! - `idle`: opens N connections, sends one request on each, keeps them open and idle until
//!   a line (or end of file) arrives on stdin, then closes them all.
//!
//! ```text
//! paced_load rate 127.0.0.1:9180 /private/page --rate 20000 --conns 32 --secs 5 [--header 'Cookie: a=b']
//! paced_load idle 127.0.0.1:9180 /public/page --conns 20000
//! ```
//! `rate` prints one line: `sent=N ok=N rate=R p50_us=.. p90_us=.. p99_us=.. p999_us=.. max_us=..`.

use std::io::{BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Opts {
    mode: String,
    addr: SocketAddr,
    path: String,
    rate: f64,
    conns: usize,
    secs: f64,
    headers: Vec<String>,
    cookies: Option<Vec<String>>,
    /// At most this many requests in all (0: no limit).
    count: u64,
}

fn usage() -> ! {
    eprintln!(
        "usage: paced_load rate|idle ADDR PATH [--rate R] [--conns C] [--secs S] \
         [--header 'K: V']... [--cookies FILE] [--count N]"
    );
    std::process::exit(2)
}

fn parse() -> Opts {
    let mut a = std::env::args().skip(1);
    let mode = a.next().unwrap_or_else(|| usage());
    let addr = a
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| usage());
    let path = a.next().unwrap_or_else(|| usage());
    let mut o = Opts {
        mode,
        addr,
        path,
        rate: 0.0,
        conns: 16,
        secs: 5.0,
        headers: Vec::new(),
        cookies: None,
        count: 0,
    };
    while let Some(flag) = a.next() {
        let v = a.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--rate" => o.rate = v.parse().unwrap_or_else(|_| usage()),
            "--conns" => o.conns = v.parse().unwrap_or_else(|_| usage()),
            "--secs" => o.secs = v.parse().unwrap_or_else(|_| usage()),
            "--header" => o.headers.push(v),
            "--count" => o.count = v.parse().unwrap_or_else(|_| usage()),
            "--cookies" => {
                let text = std::fs::read_to_string(&v).unwrap_or_else(|e| {
                    eprintln!("{v}: {e}");
                    std::process::exit(2)
                });
                o.cookies = Some(text.lines().map(str::to_owned).collect());
            }
            _ => usage(),
        }
    }
    o
}

fn request(o: &Opts, cookie: Option<&str>) -> Vec<u8> {
    let mut r = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: */*\r\n",
        o.path, o.addr
    );
    for h in &o.headers {
        r.push_str(h);
        r.push_str("\r\n");
    }
    if let Some(c) = cookie {
        r.push_str("Cookie: ");
        r.push_str(c);
        r.push_str("\r\n");
    }
    r.push_str("\r\n");
    r.into_bytes()
}

/// One keep-alive connection: sends a request, reads one response (Content-Length bodies).
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
    len: usize,
}

impl Conn {
    fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(Conn {
            s,
            buf: vec![0; 16 * 1024],
            len: 0,
        })
    }

    /// The response's status.
    fn send(&mut self, req: &[u8]) -> std::io::Result<u16> {
        self.s.write_all(req)?;
        self.len = 0;
        loop {
            if let Some(end) = find(&self.buf[..self.len], b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..end]).unwrap_or("");
                let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
                let body = head
                    .lines()
                    .filter_map(|l| l.split_once(':'))
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                let total = end + 4 + body;
                if total > self.buf.len() {
                    self.buf.resize(total, 0);
                }
                while self.len < total {
                    self.fill()?;
                }
                return Ok(status);
            }
            if self.len == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            self.fill()?;
        }
    }

    fn fill(&mut self) -> std::io::Result<()> {
        let n = self.s.read(&mut self.buf[self.len..])?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.len += n;
        Ok(())
    }
}

fn find(h: &[u8], needle: &[u8]) -> Option<usize> {
    h.windows(needle.len()).position(|w| w == needle)
}

fn rate(o: Opts) {
    let o = Arc::new(o);
    let start = Instant::now() + Duration::from_millis(50);
    let end = start + Duration::from_secs_f64(o.secs);
    let interval = (o.rate > 0.0).then(|| Duration::from_secs_f64(o.conns as f64 / o.rate));
    let threads: Vec<_> = (0..o.conns)
        .map(|i| {
            let o = o.clone();
            std::thread::spawn(move || {
                let mut lat: Vec<u32> = Vec::new();
                let mut errors = 0u64;
                let Ok(mut c) = Conn::open(o.addr) else {
                    return (lat, 1);
                };
                let fixed = request(&o, None);
                let offset = interval.map(|iv| iv.mul_f64(i as f64 / o.conns as f64));
                let mut k = 0u64;
                loop {
                    let due = match (interval, offset) {
                        (Some(iv), Some(off)) => start + off + iv.mul_f64(k as f64),
                        _ => Instant::now().max(start),
                    };
                    if due >= end || (o.count > 0 && k * o.conns as u64 + i as u64 >= o.count) {
                        break;
                    }
                    // Unpaced with a cookie list: each cookie once, then stop.
                    let once = interval.is_none() && o.cookies.is_some();
                    if once && (k as usize * o.conns + i) >= o.cookies.as_ref().map_or(0, Vec::len)
                    {
                        break;
                    }
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                    let owned;
                    let req = match &o.cookies {
                        Some(list) if !list.is_empty() => {
                            let n = (k as usize * o.conns + i) % list.len();
                            owned = request(&o, Some(&list[n]));
                            &owned
                        }
                        _ => &fixed,
                    };
                    match c.send(req) {
                        Ok(200) => lat.push(due.elapsed().as_micros().min(u32::MAX as u128) as u32),
                        Ok(_) => errors += 1,
                        Err(_) => {
                            errors += 1;
                            match Conn::open(o.addr) {
                                Ok(n) => c = n,
                                Err(_) => break,
                            }
                        }
                    }
                    k += 1;
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in threads {
        if let Ok((l, e)) = t.join() {
            all.extend(l);
            errors += e;
        }
    }
    all.sort_unstable();
    let pct = |p: f64| -> u32 {
        if all.is_empty() {
            return 0;
        }
        all[((all.len() as f64 * p) as usize).min(all.len() - 1)]
    };
    println!(
        "sent={} ok={} rate={:.0} p50_us={} p90_us={} p99_us={} p999_us={} max_us={}",
        all.len() as u64 + errors,
        all.len(),
        all.len() as f64 / o.secs,
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(0.999),
        all.last().copied().unwrap_or(0)
    );
}

fn idle(o: Opts) {
    let req = request(&o, None);
    let mut held = Vec::with_capacity(o.conns);
    for _ in 0..o.conns {
        match Conn::open(o.addr).and_then(|mut c| c.send(&req).map(|s| (c, s))) {
            Ok((c, 200)) => held.push(c.s),
            Ok((_, s)) => eprintln!("unexpected status {s}"),
            Err(e) => {
                eprintln!("stopped after {} connections: {e}", held.len());
                break;
            }
        }
    }
    println!("open={}", held.len());
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    drop(held);
    println!("closed");
}

fn main() {
    let o = parse();
    match o.mode.as_str() {
        "rate" => rate(o),
        "idle" => idle(o),
        _ => usage(),
    }
}
