//! The HTML pages. Each module renders one kind of page from values; `layout` is the shell
//! they share. Pages never carry script or inline style (see `security`).

pub mod analysis;
pub mod error;
pub mod home;
pub mod layout;
pub mod store;
