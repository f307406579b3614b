//! A customer's activity other than a plain message, in words an agent
//! reads in the transcript: the button they tapped (Get Started, a
//! persistent-menu item) and its payload, where they came from (an m.me
//! link, an ad, the chat plugin), a reaction, an opt-in, an edit; and that
//! an event came in standby, while another app owned the thread.

use crate::event::{EventKind, InboundEvent, ReferralInfo};
use crate::messenger::Channel;

/// What `e` was, when a line of its text does not say it; `None` for a
/// plain message on Switchboard's own thread.
pub fn describe(e: &InboundEvent) -> Option<String> {
    let what = match e.kind {
        EventKind::Postback => e.postback.as_ref().map(|p| {
            let button = p.title.as_deref().unwrap_or("a button");
            let mut s = format!("tapped “{button}”");
            if let Some(payload) = &p.payload {
                s += &format!(" (payload {payload})");
            }
            if let Some(from) = e.referral.as_ref().map(came_from) {
                s += &format!(", {from}");
            }
            s
        }),
        EventKind::Referral => e.referral.as_ref().map(came_from),
        EventKind::Reaction => e.reaction.as_ref().map(|r| {
            let emoji = r.emoji.as_deref().or(r.reaction.as_deref()).unwrap_or("");
            match r.action.as_deref() {
                Some("unreact") => format!("took back the reaction {emoji}"),
                _ => format!("reacted {emoji}"),
            }
        }),
        EventKind::Optin => Some(match e.referral.as_ref().and_then(|r| r.kind.as_deref()) {
            Some(kind) => format!("opted in ({kind})"),
            None => "opted in".to_string(),
        }),
        EventKind::Edit => Some(match e.num_edit {
            Some(n) if n > 1 => format!("edited a message ({n} edits)"),
            _ => "edited a message".to_string(),
        }),
        _ => None,
    };
    match (e.channel, what) {
        (Channel::Standby, Some(w)) => Some(format!("{w}; {STANDBY}")),
        (Channel::Standby, None) => Some(STANDBY.to_string()),
        (_, w) => w,
    }
}

/// Said of an event Meta delivered in standby.
pub const STANDBY: &str =
    "received in standby while another app owned the thread: context only, not answered from here";

/// Where a referral says the customer came from.
fn came_from(r: &ReferralInfo) -> String {
    let source = match r.source.as_deref() {
        Some("SHORTLINK") => "an m.me link".to_string(),
        Some("ADS") => "an ad".to_string(),
        Some("CUSTOMER_CHAT_PLUGIN") => "the chat plugin on the website".to_string(),
        Some(other) => other.to_lowercase().replace('_', " "),
        None => "a link".to_string(),
    };
    let mut s = format!("came from {source}");
    if let Some(reference) = &r.reference {
        s += &format!(" (ref {reference})");
    }
    if let Some(ad) = &r.ad_id {
        s += &format!(" (ad {ad})");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{PostbackInfo, ReactionInfo};

    fn event(kind: EventKind) -> InboundEvent {
        InboundEvent::bare(
            &crate::ids::AccountId::parse("acme").unwrap(),
            &crate::ids::PageId::parse("100000000000001").unwrap(),
            None,
            Channel::Messaging,
            kind,
            crate::time::Millis(1),
            crate::time::Millis(2),
            serde_json::value::RawValue::from_string("{}".into()).unwrap(),
        )
    }

    #[test]
    fn get_started_says_the_button_its_payload_and_the_link() {
        let mut e = event(EventKind::Postback);
        e.postback = Some(PostbackInfo {
            title: Some("Get Started".into()),
            payload: Some("GET_STARTED".into()),
        });
        e.referral = Some(ReferralInfo {
            reference: Some("winter".into()),
            source: Some("SHORTLINK".into()),
            ..Default::default()
        });
        assert_eq!(
            describe(&e).as_deref(),
            Some("tapped “Get Started” (payload GET_STARTED), came from an m.me link (ref winter)")
        );
    }

    #[test]
    fn referrals_reactions_optins_edits_and_standby_are_named() {
        let mut e = event(EventKind::Referral);
        e.referral = Some(ReferralInfo {
            reference: Some("winter-sale".into()),
            source: Some("ADS".into()),
            ad_id: Some("6045".into()),
            ..Default::default()
        });
        assert_eq!(
            describe(&e).as_deref(),
            Some("came from an ad (ref winter-sale) (ad 6045)")
        );
        let mut r = event(EventKind::Reaction);
        r.reaction = Some(ReactionInfo {
            emoji: Some("❤".into()),
            action: Some("unreact".into()),
            ..Default::default()
        });
        assert_eq!(describe(&r).as_deref(), Some("took back the reaction ❤"));
        assert_eq!(
            describe(&event(EventKind::Optin)).as_deref(),
            Some("opted in")
        );
        assert_eq!(
            describe(&event(EventKind::Edit)).as_deref(),
            Some("edited a message")
        );
        assert_eq!(describe(&event(EventKind::Message)), None);
        let mut s = event(EventKind::Message);
        s.channel = Channel::Standby;
        assert_eq!(describe(&s).as_deref(), Some(STANDBY));
    }
}
