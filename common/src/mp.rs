//! Strict MessagePack helpers: decode a value that must fill its bytes exactly, and a
//! borrowing reader for the envelope's outer layers.

use serde::de::DeserializeOwned;

/// Decode `T` from exactly `bytes`: trailing bytes are an error. Copies byte strings into
/// owned values; never allocates more than the input holds.
pub(crate) fn from_slice_exact<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let mut rd = bytes;
    let mut de = rmp_serde::Deserializer::new(&mut rd);
    let v = T::deserialize(&mut de).map_err(|e| e.to_string())?;
    if !rd.is_empty() {
        return Err(format!("{} trailing bytes", rd.len()));
    }
    Ok(v)
}

/// `[ signed: bin, signature: bin ]`, the outer form of key bundles and rosters, and
/// nothing after it: the two byte strings, borrowed.
pub(crate) fn signed_pair(bytes: &[u8]) -> Result<(&[u8], &[u8]), String> {
    let mut outer = Reader::new(bytes);
    if outer.array_len()? != 2 {
        return Err("not an array of 2".into());
    }
    let body = outer.bin()?;
    let sig = outer.bin()?;
    outer.end()?;
    Ok((body, sig))
}

/// A borrowing reader over MessagePack bytes.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn array_len(&mut self) -> Result<usize, String> {
        rmp::decode::read_array_len(&mut self.rest)
            .map(|n| n as usize)
            .map_err(|e| format!("expected an array: {e}"))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
        if len > self.rest.len() {
            return Err(format!("{len} bytes announced, {} left", self.rest.len()));
        }
        let (a, b) = self.rest.split_at(len);
        self.rest = b;
        Ok(a)
    }

    pub(crate) fn bin(&mut self) -> Result<&'a [u8], String> {
        let len =
            rmp::decode::read_bin_len(&mut self.rest).map_err(|e| format!("expected bin: {e}"))?;
        self.take(len as usize)
    }

    pub(crate) fn str(&mut self) -> Result<&'a str, String> {
        let len =
            rmp::decode::read_str_len(&mut self.rest).map_err(|e| format!("expected str: {e}"))?;
        let b = self.take(len as usize)?;
        std::str::from_utf8(b).map_err(|_| "string is not UTF-8".to_owned())
    }

    pub(crate) fn end(&self) -> Result<(), String> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(format!("{} trailing bytes", self.rest.len()))
        }
    }
}
