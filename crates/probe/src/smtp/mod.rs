//! The SMTP client side: reply parsing and classification (sans-I/O), EHLO extensions, and the
//! tokio connection that carries them over plain TCP, STARTTLS or implicit TLS.

pub mod connection;
pub mod ehlo;
pub mod reply;
pub mod tls;
