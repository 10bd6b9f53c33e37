//! Backups of a SQLite database while the server runs (`VACUUM INTO`: one consistent
//! snapshot, WAL included, written as a new compact file) and restores into a stopped
//! server's data directory. PostgreSQL has its own tools (`pg_dump` / `pg_restore`, see the
//! README); the commands say so instead of doing half a job.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use sqlx::Connection;

use super::{Backend, Store, newest_migration};

/// What `edudesk backup` / `restore` tell PostgreSQL users.
pub const POSTGRES_HINT: &str = "PostgreSQL databases are backed up with pg_dump and restored with pg_restore: \
     pg_dump --format=custom --file edudesk.dump \"$URL\"; pg_restore --clean --if-exists --dbname \"$URL\" edudesk.dump (see README, Operations)";

/// A backup's summary, as checked after writing it (or before restoring it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub bytes: u64,
    /// The newest schema migration in it.
    pub schema_version: i64,
    pub conversations: i64,
    pub messages: i64,
}

/// The file path of a SQLite database URL.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

impl Store {
    /// Writes a consistent snapshot of this SQLite database to `target` (a new file).
    pub async fn backup_to(&self, target: &Path) -> anyhow::Result<BackupSummary> {
        if self.backend != Backend::Sqlite {
            bail!("{POSTGRES_HINT}");
        }
        if target.exists() {
            bail!("{} already exists; a backup never overwrites a file", target.display());
        }
        let target_text = target.to_str().context("the backup path must be valid UTF-8")?;
        sqlx::query("VACUUM INTO $1").bind(target_text).execute(&self.write).await.with_context(|| format!("writing the backup to {}", target.display()))?;
        inspect(target).await
    }
}

/// Opens a backup read-only and checks it: SQLite's integrity check, an EduDesk schema not
/// newer than this program's.
pub async fn inspect(file: &Path) -> anyhow::Result<BackupSummary> {
    let bytes = std::fs::metadata(file).with_context(|| format!("reading {}", file.display()))?.len();
    // Read-only and without the server's connection set-up (WAL and friends would write).
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", file.display());
    let mut connection = sqlx::AnyConnection::connect(&url).await.with_context(|| format!("opening {} as a SQLite database", file.display()))?;
    let checked: anyhow::Result<BackupSummary> = async {
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut connection)
            .await
            .with_context(|| format!("{} is not a SQLite database", file.display()))?;
        if integrity != "ok" {
            bail!("{} is damaged: {integrity}", file.display());
        }
        let schema_version: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(&mut connection)
            .await
            .with_context(|| format!("{} is not an EduDesk database", file.display()))?;
        if schema_version > newest_migration(Backend::Sqlite) {
            bail!("{} comes from a newer EduDesk (schema {schema_version}); upgrade this program first", file.display());
        }
        let conversations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM conversations").fetch_one(&mut connection).await?;
        let messages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages").fetch_one(&mut connection).await?;
        Ok(BackupSummary { bytes, schema_version, conversations, messages })
    }
    .await;
    let _ = connection.close().await;
    checked
}

/// Puts the backup `file` in place of the SQLite database at `database` (the server must be
/// stopped): checked first, copied next to the target, synced, renamed over it (so a crash
/// leaves either the old or the new database), the old WAL and shared-memory files removed
/// (they belong to the old database), then migrated to this program's schema.
pub async fn restore(file: &Path, database: &Path, replace: bool) -> anyhow::Result<BackupSummary> {
    let summary = inspect(file).await?;
    if database.exists() && !replace {
        bail!("{} exists; stop the server and pass --force to replace it with the backup", database.display());
    }
    if let Some(dir) = database.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let staging = database.with_extension("db.restoring");
    std::fs::copy(file, &staging).with_context(|| format!("copying the backup to {}", staging.display()))?;
    std::fs::File::open(&staging).and_then(|copied| copied.sync_all()).with_context(|| format!("syncing {}", staging.display()))?;
    for suffix in ["-wal", "-shm"] {
        let stale = PathBuf::from(format!("{}{suffix}", database.display()));
        if stale.exists() {
            std::fs::remove_file(&stale).with_context(|| format!("removing {}", stale.display()))?;
        }
    }
    std::fs::rename(&staging, database).with_context(|| format!("moving the backup into place at {}", database.display()))?;
    let store = Store::connect(&format!("sqlite://{}", database.display()), 1).await?;
    let migrated = store.migrate().await;
    store.close().await;
    migrated?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_come_from_urls() {
        assert_eq!(sqlite_path("sqlite:///var/lib/edudesk/edudesk.db?mode=rwc"), Some(PathBuf::from("/var/lib/edudesk/edudesk.db")));
        assert_eq!(sqlite_path("sqlite:data/edudesk.db"), Some(PathBuf::from("data/edudesk.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://localhost/edudesk"), None);
    }
}
