//! A person's data and what the law and Meta let them ask of it: the
//! recording notice a new customer reads first ([`notice`]), everything
//! Switchboard holds about one customer as one document ([`export`]), and
//! erasing it ([`erasure`]), also when Meta asks ([`deletion`]) or a
//! workstream's limit is reached ([`retention`]).

pub mod deletion;
pub mod erasure;
pub mod export;
pub mod notice;
pub mod retention;
