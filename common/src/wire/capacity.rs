//! What a frame can carry: the largest envelope a `Deliver` frame holds under a maximum
//! frame size, whatever its channel and position.
//!
//! A `Deliver` frame spends more bytes around its envelope than a `Publish` frame (the
//! channel name and `seq`), so an envelope that fits a `Publish` frame may not fit a
//! `Deliver` frame. The hub refuses, at publish, an envelope above [`max_envelope`] for its
//! own maximum frame, and a node refuses to send one above it for the hub's: every stored
//! envelope can then be delivered.

use crate::ids::MAX_CHANNEL_LEN;

/// The most bytes a `Deliver` frame's length field counts besides the envelope itself:
/// version and type (2), the body's array header (1), the longest channel name as a
/// MessagePack `str 8` (2 + [`MAX_CHANNEL_LEN`]), the largest `seq` as a `uint 64` (9) and
/// the envelope's `bin 32` header (5).
pub const DELIVER_OVERHEAD: usize = 2 + 1 + (2 + MAX_CHANNEL_LEN) + 9 + 5;

/// The largest envelope, in bytes, that a `Deliver` frame can carry when frames are at
/// most `max_frame` bytes (the length field's maximum), on any channel at any `seq`. A
/// `Publish` frame carrying it fits too.
pub const fn max_envelope(max_frame: usize) -> usize {
    max_frame.saturating_sub(DELIVER_OVERHEAD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ChannelName;
    use crate::wire::{encode_frame, Deliver, Frame, Publish, DEFAULT_MAX_FRAME, LIMIT_MAX_FRAME};

    fn longest_channel() -> ChannelName {
        format!("op/{}/{}", "a".repeat(48), "b".repeat(48))
            .parse()
            .unwrap()
    }

    /// Encode `frame` under `max_frame`: whether it fits.
    fn fits(frame: &Frame, max_frame: usize) -> bool {
        encode_frame(frame, max_frame, &mut Vec::new()).is_ok()
    }

    fn deliver(envelope: usize) -> Frame {
        Frame::Deliver(Deliver {
            channel: longest_channel(),
            seq: u64::MAX,
            envelope: vec![0x5a; envelope],
        })
    }

    #[test]
    fn the_largest_envelope_fits_a_deliver_frame_exactly() {
        for max_frame in [DEFAULT_MAX_FRAME, LIMIT_MAX_FRAME, 1024 * 1024] {
            let cap = max_envelope(max_frame);
            assert!(fits(&deliver(cap), max_frame), "{max_frame}");
            assert!(
                !fits(&deliver(cap + 1), max_frame),
                "{max_frame}: exact bound"
            );
            let publish = Frame::Publish(Publish {
                envelope: vec![0; cap],
            });
            assert!(fits(&publish, max_frame), "{max_frame}: publishable");
        }
    }

    #[test]
    fn a_publishable_envelope_can_exceed_what_a_deliver_frame_carries() {
        let max_frame = DEFAULT_MAX_FRAME;
        let publish = Frame::Publish(Publish {
            envelope: vec![0; max_envelope(max_frame) + 1],
        });
        assert!(fits(&publish, max_frame));
        assert!(!fits(&deliver(max_envelope(max_frame) + 1), max_frame));
    }

    #[test]
    fn the_smallest_maximum_frame_still_bounds_deliver_frames() {
        // 64 KiB, the least a hub accepts: the envelope takes a shorter bin header, so
        // the bound is conservative by a few bytes but never too large.
        let max_frame = 64 * 1024;
        assert!(fits(&deliver(max_envelope(max_frame)), max_frame));
        assert_eq!(max_envelope(10), 0);
    }
}
