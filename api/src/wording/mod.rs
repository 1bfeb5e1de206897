//! What people read that is not a problem: inbox entries, push messages and letters. Any layer
//! may use it; it only formats.

pub mod deadlines;
pub mod inbox;
pub mod mail;
