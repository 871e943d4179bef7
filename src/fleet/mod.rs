//! The contract repository's view of its services (`[[service]]` in its protosync.toml):
//! syncing each one and opening its pull request (`fanout`), judging a proposed contract
//! against what each one pinned (`impact`), and the state of every service (`status`, the
//! `fleet` command). Services are processed on the worker pool of [`crate::workers`].

pub mod fanout;
pub mod impact;
pub mod services;
pub mod status;
pub mod transitive;

pub use services::{select_services, Service};
