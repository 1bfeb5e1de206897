//! What the service talks to besides its database: the mail and push transports, the photo
//! file store, image processing, and the wake-ups of live streams.

pub mod files;
pub mod hub;
pub mod images;
pub mod mail;
pub mod push;
pub mod webhooks;
