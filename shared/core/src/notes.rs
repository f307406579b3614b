//! Internal notes on a conversation: written by agents and supervisors who can see it, never sent to the customer.
//!
//! Notes live in the [`StreamStore`](crate::ports::StreamStore) port, one
//! stream per conversation ([`stream`]), as survey answers do: both stores
//! already keep streams, so notes need no port method and no adapter
//! change. They are kept as long as the conversation (no `expires_at`).
//! An entry's cursor is the note's time and id, so a stream reads oldest
//! first and the cursor of a note can be worked out from the note.
//!
//! Who may write and read: whoever may see the conversation
//! ([`crate::visibility::visible`]: offered, assigned, wrap-up, a closed one they
//! had, or a supervisor). Closed conversations still take notes (wrap-up
//! notes): like linking a contact, a note is a record, not a message to
//! the customer, which is what closing stops. When someone other than the
//! holder (a supervisor) writes one, the holder's feed gets `note_added`.

use crate::ids::ConversationId;
use crate::paging::PageRequest;
use crate::ports::{Conversation, ConversationState, StreamEntry, stream_cursor};
use crate::problem::{Problem, Status};
use crate::routing::engine::RoutingDeps;
use crate::routing::model::AgentId;
use crate::time::Millis;
use crate::visibility::Caller;
use serde::{Deserialize, Serialize};

/// The longest note, in characters once trimmed (a reply's limit).
pub const MAX_NOTE_CHARS: usize = crate::outbound::MAX_TEXT;
/// Most notes the transcript shows (the oldest; the list pages through all).
pub const TRANSCRIPT_NOTES: usize = 500;
/// The feed event a conversation's holder gets when someone else adds a note.
pub const NOTE_ADDED: &str = "note_added";

/// One internal note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    pub conversation_id: ConversationId,
    pub agent_id: AgentId,
    pub text: String,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: Millis,
}

impl Note {
    /// Where the note is in its stream (and the sort key of its cursor).
    pub fn cursor(&self) -> String {
        stream_cursor(self.created_at, &self.id)
    }
}

/// What `POST .../notes` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub text: String,
}

/// Why a note's text is refused (`422`, with the reply endpoint's codes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note is empty")]
    Empty,
    #[error("the note has {0} characters once trimmed; at most {MAX_NOTE_CHARS}")]
    TooLong(usize),
}

impl From<NoteError> for Problem {
    fn from(e: NoteError) -> Self {
        let code = match e {
            NoteError::Empty => "empty_message",
            NoteError::TooLong(_) => "text_too_long",
        };
        Problem::new(
            Status::UNPROCESSABLE_ENTITY,
            code,
            "Note not valid",
            e.to_string(),
        )
    }
}

/// Blank as the document's `\S` pattern sees it: Unicode white space and
/// the information separators U+001C to U+001F.
fn blank(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The note's text, trimmed: 1 to [`MAX_NOTE_CHARS`] characters.
pub fn check_text(text: &str) -> Result<&str, NoteError> {
    let t = text.trim_matches(blank);
    if t.is_empty() {
        return Err(NoteError::Empty);
    }
    let n = t.chars().count();
    if n > MAX_NOTE_CHARS {
        return Err(NoteError::TooLong(n));
    }
    Ok(t)
}

/// The stream a conversation's notes are kept in.
pub fn stream(id: &ConversationId) -> String {
    format!("notes:{id}")
}

/// Who holds the conversation (assigned or in wrap-up), if anyone.
fn holder(conv: &Conversation) -> Option<&AgentId> {
    match conv.state {
        ConversationState::Assigned | ConversationState::WrapUp => {
            conv.routing.as_ref().and_then(|r| r.agent.as_ref())
        }
        _ => None,
    }
}

/// Add a note to a conversation the caller can see (from
/// [`crate::visibility::visible`], which answers 404 otherwise); the holder's
/// feed hears of it when someone else wrote it.
pub async fn add(
    r: &RoutingDeps,
    who: &Caller,
    conv: &Conversation,
    input: NewNote,
) -> Result<Note, Problem> {
    let text = check_text(&input.text)?.to_string();
    let note = Note {
        id: format!("nt_{}", uuid::Uuid::now_v7().simple()),
        conversation_id: conv.id.clone(),
        agent_id: who.agent.clone(),
        text,
        created_at: r.clock.now(),
    };
    let entry = StreamEntry {
        cursor: note.cursor(),
        data: serde_json::to_value(&note)
            .map_err(|e| Problem::internal(format!("the note could not be written: {e}")))?,
        // Kept like the conversation.
        expires_at: None,
    };
    r.streams.append_entry(&stream(&conv.id), &entry).await?;
    if let Some(holder) = holder(conv).filter(|h| **h != who.agent) {
        crate::feed::publish(
            r.streams.as_ref(),
            r.clock.as_ref(),
            holder,
            NOTE_ADDED,
            format!("{NOTE_ADDED}:{}", note.id),
            Some(&conv.id),
            serde_json::json!({"note_id": note.id, "agent_id": note.agent_id}),
        )
        .await;
    }
    Ok(note)
}

/// Notes of a stream after `after`, oldest first; an entry that cannot be
/// read is skipped and logged ([`crate::ports::listed`]).
async fn read(
    r: &RoutingDeps,
    id: &ConversationId,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Note>, Problem> {
    let entries = r.streams.read_entries(&stream(id), after, limit).await?;
    Ok(entries
        .into_iter()
        .filter_map(|e| {
            crate::ports::listed(
                "note",
                serde_json::from_value::<Note>(e.data)
                    .map_err(|err| crate::ports::StoreError::Corrupt(err.to_string())),
            )
        })
        .collect())
}

/// A page of the notes of a conversation the caller can see (from
/// [`crate::visibility::visible`]), oldest first.
pub async fn list(
    r: &RoutingDeps,
    conv: &Conversation,
    page: &PageRequest,
) -> Result<(Vec<Note>, Option<String>), Problem> {
    let notes = read(r, &conv.id, page.after.as_deref(), page.read()).await?;
    Ok(crate::paging::page(notes, page, Note::cursor))
}

/// Every note of a conversation, oldest first (a subject-access export).
pub async fn all(r: &RoutingDeps, id: &ConversationId) -> Result<Vec<Note>, Problem> {
    let mut out: Vec<Note> = Vec::new();
    loop {
        let after = out.last().map(Note::cursor);
        let batch = read(r, id, after.as_deref(), 500).await?;
        let done = batch.len() < 500;
        out.extend(batch);
        if done {
            return Ok(out);
        }
    }
}

/// The oldest [`TRANSCRIPT_NOTES`] notes of a conversation, for its transcript.
pub async fn for_transcript(r: &RoutingDeps, conv: &Conversation) -> Result<Vec<Note>, Problem> {
    read(r, &conv.id, None, TRANSCRIPT_NOTES).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded_by_characters() {
        assert_eq!(
            check_text("  wrap-up: refunded \n"),
            Ok("wrap-up: refunded")
        );
        for blank in ["", "   ", "\n\t", "\u{1c}\u{a0}\u{3000}"] {
            assert_eq!(check_text(blank), Err(NoteError::Empty), "{blank:?}");
        }
        // 2000 characters of several bytes each fit; one more does not.
        let most = "é".repeat(MAX_NOTE_CHARS);
        assert_eq!(check_text(&most).map(|t| t.chars().count()), Ok(2000));
        assert_eq!(
            check_text(&format!("{most}ø")),
            Err(NoteError::TooLong(2001))
        );
        // Surrounding blanks do not count.
        assert!(check_text(&format!("  {most}  ")).is_ok());
    }

    #[test]
    fn errors_are_unprocessable_with_the_reply_codes() {
        let p = Problem::from(NoteError::Empty);
        assert_eq!((p.status, p.code), (422, "empty_message"));
        let p = Problem::from(NoteError::TooLong(2001));
        assert_eq!((p.status, p.code), (422, "text_too_long"));
        assert!(p.detail.contains("2001"), "{}", p.detail);
    }

    #[test]
    fn a_note_reads_back_and_its_cursor_orders_by_time() {
        let note = |at: i64, id: &str| Note {
            id: id.into(),
            conversation_id: "cv_1".parse().unwrap(),
            agent_id: "anna".parse().unwrap(),
            text: "x".into(),
            created_at: Millis(at),
        };
        let (a, b) = (note(1_000, "nt_b"), note(2_000, "nt_a"));
        assert!(a.cursor() < b.cursor());
        let back: Note = serde_json::from_value(serde_json::to_value(&a).unwrap()).unwrap();
        assert_eq!(back, a);
        assert_eq!(stream(&a.conversation_id), "notes:cv_1");
    }

    #[test]
    fn notes_join_the_transcript_in_time_order_as_notes() {
        let note = |at: i64, text: &str| Note {
            id: format!("nt_{at}"),
            conversation_id: "cv_1".parse().unwrap(),
            agent_id: "sue".parse().unwrap(),
            text: text.into(),
            created_at: Millis(at),
        };
        let customer = crate::transcript::Entry {
            at: Millis(1_500),
            from: "customer",
            text: Some("hello".into()),
            attachments: None,
            status: None,
            outbound_id: None,
            agent_id: None,
            failure: None,
            note: None,
            quick_replies: Vec::new(),
        };
        let t = crate::transcript::with_notes(
            vec![customer],
            &[note(1_000, "first"), note(2_000, "after")],
        );
        let seen: Vec<_> = t.iter().map(|e| (e.from, e.text.as_deref())).collect();
        assert_eq!(
            seen,
            [
                ("note", Some("first")),
                ("customer", Some("hello")),
                ("note", Some("after"))
            ]
        );
        let v = serde_json::to_value(&t[0]).unwrap();
        assert_eq!(v["agent_id"], "sue");
        assert!(
            v.get("outbound_id").is_none() && v.get("status").is_none(),
            "{v}"
        );
    }
}
