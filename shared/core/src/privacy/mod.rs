//! A person's data and what the law and Meta let them ask of it: the
//! recording notice a new customer reads first ([`notice`]), and everything
//! Switchboard holds about one customer as one document ([`export`]).

pub mod export;
pub mod notice;
