//! The conversation side's keys and items: customers (`CUSTOMER#{page}#{psid}`),
//! contacts and their history (`CONTACT#{id}`), conversations (`CONV#{id}`,
//! filed on GSI1 by page, GSI2 by state and GSI3 by inbox agent), timeline
//! entries, append-once markers and each conversation's activity item;
//! and reading them back.

use super::{Item, get_n, get_s, key, n, opt_n, opt_s, parse_id, s, to_doc};
use aws_sdk_dynamodb::types::AttributeValue;
use switchboard_core::Millis;
use switchboard_core::append::Activity;
use switchboard_core::ids::{ContactId, ConversationId, PageId, Psid};
use switchboard_core::ports::{
    Contact, Conversation, ConversationState, Customer, StoreError, StoreResult,
};
use switchboard_core::routing::model::AgentId;
use switchboard_core::routing::record::Routing;

pub(super) fn customer_pk(page: &PageId, psid: &Psid) -> String {
    format!("CUSTOMER#{page}#{psid}")
}
pub(super) fn contact_pk(id: &ContactId) -> String {
    format!("CONTACT#{id}")
}
pub(super) fn conv_pk(id: &ConversationId) -> String {
    format!("CONV#{id}")
}
/// The sort key of a conversation's item.
pub(super) const CONV_SK: &str = "CONV";
/// The sort key of a conversation's activity item, beside it in its
/// partition: the times every event moves (`updated_at`,
/// `last_customer_message_at`) and `closed`, the fence a close sets. It is
/// small and in no index, so an event's touch bills 1 write unit, where
/// the conversation item (once routed: 0.8 KB with its routing record
/// deflated with the dictionary, 1.1 KB plainly deflated, 2.5 KB as JSON;
/// copied into three indexes) would bill 4-12. Both begin with [`CONV_SK`]: one query reads the pair.
pub(super) const ACTIVITY_SK: &str = "CONV#ACTIVITY";

/// The key of conversation `id`'s activity item.
pub(super) fn activity_key(id: &ConversationId) -> Item {
    key(conv_pk(id), ACTIVITY_SK)
}

/// The conversation with what its activity item holds: each time is the
/// later of the two (the conversation item keeps those of its creation and
/// of routing writes; the activity item those of every event since).
pub(super) fn with_activity(mut c: Conversation, activity: Option<&Item>) -> Conversation {
    let Some(a) = activity else { return c };
    // A fence alone (a close before any event) holds no time.
    Activity {
        updated_at: opt_n(a, "updated_at").map(Millis).unwrap_or_default(),
        last_customer_message_at: opt_n(a, "last_customer_message_at").map(Millis),
    }
    .merge_into(&mut c);
    c
}

/// A conversation from the items of its partition read together (its
/// item and its activity item, in either order).
pub(super) fn conversation_with_activity(items: &[Item]) -> StoreResult<Option<Conversation>> {
    let Some(conv) = items.iter().find(|i| opt_s(i, "SK") == Some(CONV_SK)) else {
        return Ok(None);
    };
    let activity = items.iter().find(|i| opt_s(i, "SK") == Some(ACTIVITY_SK));
    Ok(Some(with_activity(conversation_from(conv)?, activity)))
}

pub(super) fn marker_pk(dedup: &str) -> String {
    format!("EVENT#{dedup}")
}
pub(super) fn event_sk(ts: Millis, dedup: &str) -> String {
    let t = (i128::from(ts.0) + i128::from(i64::MAX) + 1) as u128;
    format!("EV#{t:020}#{dedup}")
}
pub(super) fn created_sk(created: Millis, id: &ConversationId) -> String {
    format!("{:020}#{id}", created.0.max(0))
}

/// A conversation in its contact's history: `CONTACT#{contact}` /
/// `CONV#{created:020}#{conversation}`.
pub(super) fn contact_conv_item(contact: &ContactId, c: &Conversation) -> Item {
    let mut item = key(
        contact_pk(contact),
        &format!("CONV#{}", created_sk(c.created_at, &c.id)),
    );
    item.insert("conversation_id".into(), s(c.id.as_str()));
    item.insert("page_id".into(), s(c.page_id.as_str()));
    item.insert("psid".into(), s(c.psid.as_str()));
    item
}

pub(super) fn contact_item(c: &Contact) -> StoreResult<Item> {
    let mut item = key(contact_pk(&c.id), "CONTACT");
    item.insert("doc".into(), to_doc(c)?);
    item.insert("version".into(), n(c.version as i64));
    Ok(item)
}

pub(super) fn conversation_item(c: &Conversation) -> Item {
    let mut item = key(conv_pk(&c.id), CONV_SK);
    item.insert("id".into(), s(c.id.as_str()));
    item.insert("page_id".into(), s(c.page_id.as_str()));
    item.insert("psid".into(), s(c.psid.as_str()));
    item.insert("contact_id".into(), s(c.contact_id.as_str()));
    item.insert("state".into(), s(c.state.as_str()));
    item.insert("created_at".into(), n(c.created_at.0));
    item.insert("updated_at".into(), n(c.updated_at.0));
    if let Some(t) = c.last_customer_message_at {
        item.insert("last_customer_message_at".into(), n(t.0));
    }
    if let Some(t) = c.closed_at {
        item.insert("closed_at".into(), n(t.0));
    }
    item.insert("GSI1PK".into(), s(format!("PAGECONV#{}", c.page_id)));
    item.insert("GSI1SK".into(), s(created_sk(c.created_at, &c.id)));
    item.insert("GSI2PK".into(), s(format!("STATE#{}", c.state.as_str())));
    item.insert("GSI2SK".into(), s(created_sk(c.created_at, &c.id)));
    if let Some(a) = c.inbox_agent() {
        item.insert("GSI3PK".into(), s(agent_conv_pk(a, c.state)));
        item.insert("GSI3SK".into(), s(created_sk(c.created_at, &c.id)));
    }
    item
}

/// GSI3's partition of an agent's conversations in one state (the agent's
/// inbox); its sort key is the conversation's `created_sk`, as on GSI1.
pub(super) fn agent_conv_pk(agent: &AgentId, state: ConversationState) -> String {
    format!("AGENTCONV#{agent}#{}", state.as_str())
}

/// The update-expression clause that files a conversation under its new
/// inbox agent on GSI3 (`:gsi3`), or out of GSI3 when it has none, with
/// the values it needs.
pub(super) fn gsi3_clause(
    state: ConversationState,
    routing: Option<&Routing>,
) -> (&'static str, Vec<(&'static str, AttributeValue)>) {
    match routing.and_then(|r| switchboard_core::ports::inbox_agent(state, r)) {
        Some(a) => (
            ", GSI3PK = :gsi3, GSI3SK = GSI1SK",
            vec![(":gsi3", s(agent_conv_pk(a, state)))],
        ),
        None => (" REMOVE GSI3PK, GSI3SK", Vec::new()),
    }
}

pub(super) fn conversation_from(item: &Item) -> StoreResult<Conversation> {
    Ok(Conversation {
        id: parse_id(ConversationId::parse(get_s(item, "id")?))?,
        page_id: parse_id(PageId::parse(get_s(item, "page_id")?))?,
        psid: parse_id(Psid::parse(get_s(item, "psid")?))?,
        contact_id: parse_id(ContactId::parse(get_s(item, "contact_id")?))?,
        state: ConversationState::parse(get_s(item, "state")?)
            .ok_or_else(|| StoreError::Corrupt("unknown conversation state".into()))?,
        created_at: Millis(get_n(item, "created_at")?),
        updated_at: Millis(get_n(item, "updated_at")?),
        last_customer_message_at: opt_n(item, "last_customer_message_at").map(Millis),
        closed_at: opt_n(item, "closed_at").map(Millis),
        routing: item
            .get("rdoc")
            .map(super::routing_doc::from_value)
            .transpose()?,
        rv: opt_n(item, "rv").unwrap_or(0) as u64,
    })
}

pub(super) fn customer_from(item: &Item) -> StoreResult<Customer> {
    Ok(Customer {
        page_id: parse_id(PageId::parse(get_s(item, "page_id")?))?,
        psid: parse_id(Psid::parse(get_s(item, "psid")?))?,
        contact_id: parse_id(ContactId::parse(get_s(item, "contact_id")?))?,
        open_conversation_id: opt_s(item, "open_conversation_id")
            .map(|v| parse_id(ConversationId::parse(v)))
            .transpose()?,
        last_conversation_id: parse_id(ConversationId::parse(get_s(
            item,
            "last_conversation_id",
        )?))?,
        last_agent: opt_s(item, "last_agent_id")
            .map(|v| parse_id(AgentId::parse(v)))
            .transpose()?,
        erased_at: opt_n(item, "erased_at").map(Millis),
    })
}
