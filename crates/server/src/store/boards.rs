//! Storage for conversations' whiteboards: the board's sequence number (the one order every
//! change is applied in) and its elements, each with the number of its last change. Changes
//! are serialised per board by the upsert of its row, on SQLite and PostgreSQL alike.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::Store;
use super::error::{StoreError, StoreResult};

/// Most elements one board may hold.
pub const MAX_ELEMENTS: i64 = 5000;

/// A whole board at one sequence number: what a late joiner loads.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Board {
    pub conversation_id: i64,
    /// The number of the last change applied.
    pub seq: i64,
    pub elements: Vec<BoardElement>,
}

/// One element (a stroke, a shape, a text) and the number of its last change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardElement {
    pub id: String,
    pub seq: i64,
    #[schema(value_type = Object)]
    pub element: serde_json::Value,
}

#[derive(FromRow)]
struct ElementRow {
    element_id: String,
    seq: i64,
    data: Option<String>,
}

/// A change to store (already validated).
#[derive(Debug, Clone)]
pub enum BoardChange<'a> {
    Put { id: &'a str, element: &'a serde_json::Value },
    Delete { id: &'a str },
    Clear,
}

impl Store {
    pub async fn board(&self, conversation_id: i64) -> StoreResult<Board> {
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM boards WHERE conversation_id = $1").bind(conversation_id).fetch_optional(&self.write).await?;
        let rows: Vec<ElementRow> = sqlx::query_as("SELECT element_id, seq, data FROM board_elements WHERE conversation_id = $1 ORDER BY seq")
            .bind(conversation_id)
            .fetch_all(&self.write)
            .await?;
        let elements = rows
            .into_iter()
            .filter_map(|row| {
                let element = serde_json::from_str(row.data.as_deref()?).ok()?;
                Some(BoardElement { id: row.element_id, seq: row.seq, element })
            })
            .collect();
        Ok(Board { conversation_id, seq: seq.unwrap_or(0), elements })
    }

    /// Applies one change and returns its sequence number.
    pub async fn change_board(&self, conversation_id: i64, change: BoardChange<'_>, author: (&str, i64), now: i64) -> StoreResult<i64> {
        let mut tx = self.write.begin().await?;
        // Taking the next number locks the board's row until the commit: one change at a time.
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO boards (conversation_id, seq, updated_at) VALUES ($1, 1, $2)
             ON CONFLICT (conversation_id) DO UPDATE SET seq = boards.seq + 1, updated_at = $2 RETURNING seq",
        )
        .bind(conversation_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        match change {
            BoardChange::Put { id, element } => {
                let exists: Option<i64> = sqlx::query_scalar("SELECT seq FROM board_elements WHERE conversation_id = $1 AND element_id = $2")
                    .bind(conversation_id)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_none() {
                    let count: i64 =
                        sqlx::query_scalar("SELECT COUNT(*) FROM board_elements WHERE conversation_id = $1").bind(conversation_id).fetch_one(&mut *tx).await?;
                    if count >= MAX_ELEMENTS {
                        return Err(StoreError::Conflict(format!("the board is full ({MAX_ELEMENTS} elements); clear it first")));
                    }
                }
                sqlx::query(
                    "INSERT INTO board_elements (conversation_id, element_id, seq, data, author_kind, author_id) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (conversation_id, element_id) DO UPDATE SET seq = excluded.seq, data = excluded.data, author_kind = excluded.author_kind, author_id = excluded.author_id",
                )
                .bind(conversation_id)
                .bind(id)
                .bind(seq)
                .bind(element.to_string())
                .bind(author.0)
                .bind(author.1)
                .execute(&mut *tx)
                .await?;
            }
            BoardChange::Delete { id } => {
                sqlx::query("DELETE FROM board_elements WHERE conversation_id = $1 AND element_id = $2")
                    .bind(conversation_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            BoardChange::Clear => {
                sqlx::query("DELETE FROM board_elements WHERE conversation_id = $1").bind(conversation_id).execute(&mut *tx).await?;
                sqlx::query("UPDATE boards SET cleared_seq = seq WHERE conversation_id = $1").bind(conversation_id).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(seq)
    }
}
