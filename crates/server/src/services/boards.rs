//! The shared whiteboard of a conversation, in and outside calls: who may draw (the learner
//! and staff who work on it; collaborators watch), what a drawing may be (strokes, lines,
//! arrows, rectangles, ellipses, texts, checked at the edge), and the order of changes. The
//! server numbers every change; clients apply changes in that order, so every page converges
//! on the same board, and a late joiner loads the board at one number and follows from there.
//! Pointer positions are relayed but never stored.

use edudesk_core::{Access, Principal};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    AppState,
    error::{AppError, AppResult},
    realtime::{Event, Participant, Route},
    services::conversations,
    store::boards::{Board, BoardChange},
};

/// A colour as `#rrggbb`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Color(String);

impl TryFrom<String> for Color {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let hex = value.strip_prefix('#').filter(|hex| hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()));
        hex.map(|_| Color(value.to_ascii_lowercase())).ok_or_else(|| "a colour is #rrggbb".to_owned())
    }
}

/// What can be drawn. Coordinates are in the board's own units (1600 × 1000).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Element {
    Stroke { points: Vec<[f64; 2]>, color: Color, width: f64 },
    Line { from: [f64; 2], to: [f64; 2], color: Color, width: f64 },
    Arrow { from: [f64; 2], to: [f64; 2], color: Color, width: f64 },
    Rect { x: f64, y: f64, w: f64, h: f64, color: Color, width: f64 },
    Ellipse { x: f64, y: f64, w: f64, h: f64, color: Color, width: f64 },
    Text { x: f64, y: f64, text: String, color: Color, size: f64 },
}

/// The most points one stroke may have.
const MAX_POINTS: usize = 2000;
const MAX_TEXT: usize = 500;

impl Element {
    fn check(&self) -> Result<(), String> {
        let coordinate = |value: f64| value.is_finite() && (-10_000.0..=10_000.0).contains(&value);
        let point = |p: &[f64; 2]| coordinate(p[0]) && coordinate(p[1]);
        let width = |w: f64| (0.5..=50.0).contains(&w);
        let fine = match self {
            Element::Stroke { points, width: w, .. } => !points.is_empty() && points.len() <= MAX_POINTS && points.iter().all(point) && width(*w),
            Element::Line { from, to, width: w, .. } | Element::Arrow { from, to, width: w, .. } => point(from) && point(to) && width(*w),
            Element::Rect { x, y, w, h, width: line, .. } | Element::Ellipse { x, y, w, h, width: line, .. } => {
                [*x, *y, *w, *h].into_iter().all(coordinate) && width(*line)
            }
            Element::Text { x, y, text, size, .. } => {
                coordinate(*x) && coordinate(*y) && !text.trim().is_empty() && text.chars().count() <= MAX_TEXT && (8.0..=200.0).contains(size)
            }
        };
        if fine {
            Ok(())
        } else {
            Err(format!("element: coordinates finite within ±10000, 1–{MAX_POINTS} points, line width 0.5–50, text 1–{MAX_TEXT} characters of size 8–200"))
        }
    }
}

/// A change a participant asks for.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BoardOp {
    /// Adds or replaces an element (ids are the client's: 1–64 letters, digits, `-` or `_`).
    Put {
        id: String,
        element: Element,
    },
    Delete {
        id: String,
    },
    Clear,
    /// Where this participant points (relayed, not stored).
    Pointer {
        x: f64,
        y: f64,
    },
}

fn check_id(id: &str) -> AppResult<()> {
    if (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(())
    } else {
        Err(AppError::BadRequest("id: 1–64 letters, digits, - or _".to_owned()))
    }
}

/// The board of a conversation, for whoever may read the conversation.
pub async fn board(state: &AppState, principal: Principal, conversation_id: i64) -> AppResult<Board> {
    conversations::access(state, principal, conversation_id).await?;
    Ok(state.store.board(conversation_id).await?)
}

/// Applies one change from `from` and tells everyone who follows the conversation.
pub async fn change(state: &AppState, principal: Principal, from: &Participant, conversation_id: i64, op: Value) -> AppResult<()> {
    let op: BoardOp = serde_json::from_value(op).map_err(|error| AppError::BadRequest(format!("not a valid board change: {error}")))?;
    let (conversation, access) = conversations::access(state, principal, conversation_id).await?;
    if !matches!(access, Access::Owner | Access::Staff) {
        return Err(AppError::Forbidden("collaborators watch the board but do not draw".to_owned()));
    }
    let author = match principal {
        Principal::Learner { contact_id } => ("contact", contact_id),
        Principal::Staff(staff) => ("agent", staff.user_id),
    };
    let now = state.clock.now_ms();
    let (seq, relayed) = match &op {
        BoardOp::Put { id, element } => {
            check_id(id)?;
            element.check().map_err(AppError::BadRequest)?;
            let element = serde_json::to_value(element).map_err(|error| AppError::Internal(error.into()))?;
            let seq = state.store.change_board(conversation_id, BoardChange::Put { id, element: &element }, author, now).await?;
            (Some(seq), json!({"kind": "put", "id": id, "element": element}))
        }
        BoardOp::Delete { id } => {
            check_id(id)?;
            let seq = state.store.change_board(conversation_id, BoardChange::Delete { id }, author, now).await?;
            (Some(seq), json!({"kind": "delete", "id": id}))
        }
        BoardOp::Clear => (Some(state.store.change_board(conversation_id, BoardChange::Clear, author, now).await?), json!({"kind": "clear"})),
        BoardOp::Pointer { x, y } => {
            if !(x.is_finite() && y.is_finite()) {
                return Err(AppError::BadRequest("pointer: finite x and y".to_owned()));
            }
            (None, json!({"kind": "pointer", "x": x, "y": y}))
        }
    };
    state.bus.publish(Event::Board { route: Route::of(&conversation), from: from.clone(), seq, op: relayed }).await;
    Ok(())
}
