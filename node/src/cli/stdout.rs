//! Standard output for the officers' commands. A reader that goes away early
//! (`cordon-node inbox | head`) ends the command quietly, exit 0: the officer has seen
//! what they wanted. `println!` in the command line is this module's [`line`].

use std::io::Write as _;

use super::exit;

/// Write one line to standard output; on a closed pipe, exit quietly (0); on another
/// write error, say so once and exit [`exit::INTERNAL`].
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("cordon-node: cannot write to standard output: {e}");
            std::process::exit(i32::from(exit::INTERNAL));
        }
    }
}
