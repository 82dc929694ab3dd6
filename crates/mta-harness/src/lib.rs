//! Test harness: start real MTA daemons (Postfix, Exim, OpenSMTPD) on loopback with their
//! own config and spool in a temp dir, delivering only to a loopback sink.
