//! What supervisors do beyond an agent: moving a conversation to another
//! queue or agent ([`assign`]). Plain async functions over the ports.

pub mod assign;
