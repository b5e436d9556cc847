//! Wire errors and the error codes sent to the peer.

/// Error codes carried in `Error` frames and as QUIC application close / stream reset
/// codes. Values are fixed by PROTOCOL.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// Orderly close.
    NoError,
    /// A frame that is not allowed here (wrong stream, wrong order, unknown type).
    Protocol,
    /// A frame that does not decode.
    MalformedFrame,
    /// A frame longer than the maximum.
    FrameTooLarge,
    /// A wire version this side does not speak.
    UnsupportedVersion,
    /// The peer is not allowed to do this.
    Unauthorized,
    /// The peer's certificate has been revoked.
    Revoked,
    /// The peer was too slow (first frame, handshake, acks).
    Timeout,
    /// The peer is not keeping up or a limit is reached; try again later.
    Overloaded,
    /// An error on this side.
    Internal,
    /// This side is shutting down.
    Shutdown,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 11] = [
        Self::NoError,
        Self::Protocol,
        Self::MalformedFrame,
        Self::FrameTooLarge,
        Self::UnsupportedVersion,
        Self::Unauthorized,
        Self::Revoked,
        Self::Timeout,
        Self::Overloaded,
        Self::Internal,
        Self::Shutdown,
    ];

    /// The number on the wire.
    pub fn as_u16(self) -> u16 {
        match self {
            Self::NoError => 0,
            Self::Protocol => 1,
            Self::MalformedFrame => 2,
            Self::FrameTooLarge => 3,
            Self::UnsupportedVersion => 4,
            Self::Unauthorized => 5,
            Self::Revoked => 6,
            Self::Timeout => 7,
            Self::Overloaded => 8,
            Self::Internal => 9,
            Self::Shutdown => 10,
        }
    }

    /// From the number on the wire.
    pub fn from_u16(v: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_u16() == v)
    }

    /// Short name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoError => "no-error",
            Self::Protocol => "protocol",
            Self::MalformedFrame => "malformed-frame",
            Self::FrameTooLarge => "frame-too-large",
            Self::UnsupportedVersion => "unsupported-version",
            Self::Unauthorized => "unauthorized",
            Self::Revoked => "revoked",
            Self::Timeout => "timeout",
            Self::Overloaded => "overloaded",
            Self::Internal => "internal",
            Self::Shutdown => "shutdown",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.as_str(), self.as_u16())
    }
}

/// A frame could not be decoded or encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The length prefix exceeds the maximum frame size.
    #[error("frame of {len} bytes exceeds the maximum of {max}")]
    TooLarge {
        /// Announced length.
        len: usize,
        /// Maximum.
        max: usize,
    },
    /// The length prefix is too small to hold version and type.
    #[error("frame length {0} is shorter than its 2-byte header")]
    TooShort(usize),
    /// A wire version other than 1.
    #[error("wire version {0} is not supported (this is version 1)")]
    UnsupportedVersion(u8),
    /// A frame type this version does not define.
    #[error("unknown frame type 0x{0:02x}")]
    UnknownType(u8),
    /// The body does not decode as the frame type's fields.
    #[error("frame type 0x{frame_type:02x} is malformed: {detail}")]
    Malformed {
        /// The frame type.
        frame_type: u8,
        /// The decoder's words.
        detail: String,
    },
    /// Bytes left after the body.
    #[error("frame type 0x{0:02x} has trailing bytes")]
    Trailing(u8),
    /// Local: the frame could not be encoded (too large for the maximum).
    #[error("cannot encode frame: {0}")]
    Encode(String),
}

impl WireError {
    /// The code to send to the peer that caused this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLarge { .. } => ErrorCode::FrameTooLarge,
            Self::UnsupportedVersion(_) => ErrorCode::UnsupportedVersion,
            Self::UnknownType(_) => ErrorCode::Protocol,
            Self::TooShort(_) | Self::Malformed { .. } | Self::Trailing(_) => {
                ErrorCode::MalformedFrame
            }
            Self::Encode(_) => ErrorCode::Internal,
        }
    }
}
