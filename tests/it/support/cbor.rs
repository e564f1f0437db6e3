//! The few CBOR encodings an authenticator writes (RFC 8949): unsigned and negative
//! integers, byte and text strings, maps. Enough for an attestation object and a COSE key.

/// A CBOR value (only the kinds an authenticator needs).
pub enum Cbor {
    Int(i64),
    Bytes(Vec<u8>),
    Text(String),
    Map(Vec<(Cbor, Cbor)>),
}

impl Cbor {
    /// The encoding; map entries are written in the order given (callers pass the CTAP2
    /// canonical order).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Cbor::Int(n) if *n >= 0 => head(out, 0, *n as u64),
            Cbor::Int(n) => head(out, 1, (-1 - *n) as u64),
            Cbor::Bytes(b) => {
                head(out, 2, b.len() as u64);
                out.extend_from_slice(b);
            }
            Cbor::Text(s) => {
                head(out, 3, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
            Cbor::Map(entries) => {
                head(out, 5, entries.len() as u64);
                for (k, v) in entries {
                    k.write(out);
                    v.write(out);
                }
            }
        }
    }
}

/// A major type with its argument, in the shortest form.
fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

#[test]
fn encodes_rfc_8949_examples() {
    assert_eq!(Cbor::Int(0).encode(), [0x00]);
    assert_eq!(Cbor::Int(24).encode(), [0x18, 0x18]);
    assert_eq!(Cbor::Int(1000).encode(), [0x19, 0x03, 0xe8]);
    assert_eq!(Cbor::Int(-1).encode(), [0x20]);
    assert_eq!(Cbor::Int(-7).encode(), [0x26]);
    assert_eq!(Cbor::Int(-100).encode(), [0x38, 0x63]);
    assert_eq!(Cbor::Text("IETF".into()).encode(), b"\x64IETF");
    assert_eq!(Cbor::Bytes(vec![1, 2, 3, 4]).encode(), [0x44, 1, 2, 3, 4]);
    let map = Cbor::Map(vec![
        (Cbor::Int(1), Cbor::Int(2)),
        (Cbor::Int(3), Cbor::Int(4)),
    ]);
    assert_eq!(map.encode(), [0xa2, 0x01, 0x02, 0x03, 0x04]);
}
