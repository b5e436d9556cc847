//! The frame decoder never panics and never buffers beyond one maximum frame, whatever
//! the input and however it is split.
#![no_main]

use cordon_common::wire::{decode_payload, FrameDecoder};
use libfuzzer_sys::fuzz_target;

const MAX: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    // First byte picks the chunk size, the rest is the stream.
    let Some((&split, stream)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(split).max(1);
    let mut dec = FrameDecoder::new(MAX);
    'outer: for piece in stream.chunks(chunk) {
        let mut rest = piece;
        while !rest.is_empty() {
            let n = dec.push(rest);
            rest = &rest[n..];
            assert!(dec.buffered() <= MAX + 4);
            loop {
                match dec.next_frame() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(_) => break 'outer,
                }
            }
            if n == 0 {
                break 'outer;
            }
        }
    }
    let _ = decode_payload(stream);
});
