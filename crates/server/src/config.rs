//! Typed configuration: built-in defaults, then an optional TOML file, then `EDUDESK_*`
//! environment variables, then command-line flags (each layer overrides the last).
//!
//! Secrets are wrapped in [`Secret`] so that `Debug` output and logs never show them.

use std::{fmt, net::SocketAddr, path::PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// A string that must never be printed: passwords in URLs, signing secrets.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A channel from the configuration file, e.g.
/// `[[channels]] kind = "wechat" name = "main" settings = { app_id = "wx…" } secrets = { token = "…" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelEntry {
    pub kind: String,
    pub name: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
    #[serde(default)]
    pub settings: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub secrets: std::collections::BTreeMap<String, Secret>,
}

fn enabled() -> bool {
    true
}

/// The whole configuration of an EduDesk node.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// Where the SQLite database and other local state live.
    pub data_dir: PathBuf,
    /// `sqlite:...` or `postgres://...`; defaults to SQLite at `<data_dir>/edudesk.db`.
    pub database_url: Option<Secret>,
    /// The education platform's secret for signing learner ids (HMAC-SHA256).
    pub platform_secret: Option<Secret>,
    /// The platform's API key for server-to-server calls (`X-Platform-Key`, e.g. in-app feedback).
    pub platform_api_key: Option<Secret>,
    /// Largest accepted request body, in bytes.
    pub body_limit_bytes: usize,
    /// A client must send a request's headers within this many seconds (slow clients are cut off).
    pub header_read_timeout_seconds: u64,
    /// A request body must arrive within this many seconds.
    pub body_read_timeout_seconds: u64,
    /// Failed sign-ins per account within 15 minutes before it is locked for the rest of them.
    pub login_failures_per_account: u32,
    /// Sign-in attempts per client address per minute.
    pub login_attempts_per_ip: u32,
    /// Widget sessions, article votes and deflections per client address per minute.
    pub public_writes_per_ip: u32,
    /// Bearer token for `GET /metrics` from other hosts (loopback needs none).
    pub metrics_token: Option<Secret>,
    /// Reverse proxies (nginx, a load balancer) whose `X-Forwarded-For` names the client; from
    /// anyone else the header is ignored. Rate limits count the client so named.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Where every event of the conversations' log is POSTed, in order, signed (integrations).
    pub webhook_url: Option<String>,
    /// The HMAC-SHA256 key that signs webhook deliveries (required with `webhook_url`).
    pub webhook_secret: Option<Secret>,
    /// Who hears by email when a spike opens an incident (the product or ops owners), sent
    /// from the first enabled email mailbox; comma-separated in `EDUDESK_INCIDENT_EMAILS`.
    pub incident_emails: Vec<String>,
    /// Key that encrypts channel secrets in the database (any length; hashed into a key).
    /// Without it a key is generated once and kept in `<data_dir>/secret.key`.
    pub secret_key: Option<Secret>,
    /// How long a staff login lasts.
    pub staff_session_hours: i64,
    /// How long a learner widget session lasts.
    pub learner_session_days: i64,
    /// How long a verified session is trusted without asking the database again (0: never).
    pub session_cache_seconds: u64,
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Connections in the read pool (PostgreSQL: the whole pool).
    pub db_max_connections: u32,
    /// Most messages the writer commits in one transaction.
    pub write_batch_max: usize,
    /// PostgreSQL only: writer tasks for messages and for new conversations each, committing
    /// their batches side by side (SQLite has one writer). More overlap helps when the
    /// database has cores of its own; on one 2-core machine with the server, 2 beat 4
    /// (BENCHMARKS).
    pub postgres_write_shards: usize,
    /// SQLite only: fsync the WAL at every commit (`synchronous=FULL`), so an acknowledged
    /// write survives a power cut. `false` (`synchronous=NORMAL`): it survives a crash of the
    /// process, and the WAL reaches the disk at each checkpoint (every half second); commits no
    /// longer wait for the disk (single writes get faster; the chat tail did not, BENCHMARKS).
    pub sqlite_sync_every_commit: bool,
    /// NATS server for the realtime bus between nodes; without it events stay in this process.
    pub nats_url: Option<Secret>,
    /// Subject prefix on NATS: nodes of one deployment share it.
    pub nats_prefix: String,
    /// Category → tier overrides and additions, e.g. `[categories] playback = 1`.
    pub categories: std::collections::BTreeMap<String, i64>,
    /// How often the server pings each WebSocket and rechecks its session, in milliseconds.
    pub ws_heartbeat_ms: u64,
    /// Shifts the scheduling clock (jobs, follow-ups, due tasks) by this many seconds: 0 in
    /// production; tests and demos use it to see "a day later" at once.
    pub clock_offset_seconds: i64,
    /// The support team's time zone (IANA name), for business hours and holidays.
    pub time_zone: String,
    /// Opening hours every day, `HH:MM-HH:MM` in `time_zone`.
    pub business_hours: String,
    /// Days off (`YYYY-MM-DD`): SLA clocks stop.
    pub holidays: Vec<String>,
    /// Move a conversation up a tier when its resolution target is breached.
    pub sla_auto_escalate: bool,
    /// How often SLA targets are checked, in seconds.
    pub sla_check_seconds: u64,
    /// SLA target overrides in business minutes, `[first response, resolution]`, keyed
    /// `t<tier>.<priority>`, e.g. `[sla_targets] "t1.urgent" = [10, 180]` (file only).
    pub sla_targets: std::collections::BTreeMap<String, [i64; 2]>,
    /// Largest image accepted in a conversation, in bytes.
    pub attachment_max_bytes: usize,
    /// Serve the demo pages (`/demo`); set by `serve --demo`.
    pub demo: bool,
    /// Where learners reach this server from outside (`https://support.example.com`): links the
    /// bot sends through WeChat, SMS or email are absolute with it; without it they are paths.
    pub public_url: Option<String>,
    /// Let the bot answer learners' widget conversations before a person takes them.
    pub bot_enabled: bool,
    /// Tell learners on other channels (WeChat, SMS, email, the app) when to expect a person:
    /// the wait, or the opening hours when the team is off.
    pub channel_wait_notice: bool,
    /// Ask learners how they were served (a CSAT survey) after a conversation is resolved.
    pub csat_enabled: bool,
    /// Minutes after the resolution the survey is sent (through the conversation's channel).
    pub csat_delay_minutes: u64,
    /// A learner gets at most one survey in this many days.
    pub csat_min_days_between: u64,
    /// Percent of surveys that also ask "would you recommend us?" (NPS, 0–10).
    pub nps_sample_percent: u8,
    /// Staffing: the average handling time of a conversation, in seconds.
    pub staffing_aht_seconds: u64,
    /// Staffing: the service-level target's answer time, in seconds.
    pub staffing_target_seconds: u64,
    /// Staffing: the percent of learners to answer within that time.
    pub staffing_service_level_percent: u8,
    /// Staffing: learners' mean patience before giving up, in seconds (Erlang A).
    pub staffing_patience_seconds: u64,
    /// The bot's confidence thresholds (`[bot] answer_threshold`, `out_of_scope_threshold`, `ambiguity_ratio`, `max_failures`; defaults in `BotSettings::default`; file only).
    pub bot: edudesk_bot::BotSettings,
    /// Channels to configure at start (`[[channels]]` in the file; the console edits them too).
    pub channels: Vec<ChannelEntry>,
    /// STUN servers for in-browser calls (`stun:host:3478`, comma-separated in the variable).
    pub stun_urls: Vec<String>,
    /// TURN servers for in-browser calls (`turn:host:3478?transport=udp`, `turns:host:5349`).
    pub turn_urls: Vec<String>,
    /// coturn's `static-auth-secret`: TURN credentials are derived from it per client.
    pub turn_secret: Option<Secret>,
    /// How long a client's TURN credentials stay valid, in seconds.
    pub turn_ttl_seconds: u64,
    /// Calls use relayed paths only, so neither side learns the other's IP address.
    pub call_relay_only: bool,
    /// Seconds a call rings before it counts as missed.
    pub call_ring_seconds: u64,
    /// Where the help centre's search index lives; empty: in memory, rebuilt at start.
    /// Either way it is rebuilt from the database when missing or out of date.
    pub search_index_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            platform_secret: None,
            platform_api_key: None,
            body_limit_bytes: 1024 * 1024,
            header_read_timeout_seconds: 10,
            body_read_timeout_seconds: 30,
            login_failures_per_account: 5,
            login_attempts_per_ip: 30,
            public_writes_per_ip: 60,
            secret_key: None,
            metrics_token: None,
            trusted_proxies: Vec::new(),
            webhook_url: None,
            webhook_secret: None,
            incident_emails: Vec::new(),
            staff_session_hours: 12,
            learner_session_days: 30,
            session_cache_seconds: 5,
            secure_cookies: false,
            db_max_connections: 8,
            write_batch_max: 256,
            postgres_write_shards: 2,
            sqlite_sync_every_commit: true,
            nats_url: None,
            nats_prefix: "edudesk".to_owned(),
            demo: false,
            time_zone: "Asia/Shanghai".to_owned(),
            business_hours: "09:00-21:00".to_owned(),
            holidays: Vec::new(),
            sla_auto_escalate: false,
            sla_check_seconds: 60,
            sla_targets: Default::default(),
            clock_offset_seconds: 0,
            ws_heartbeat_ms: 20_000,
            categories: Default::default(),
            attachment_max_bytes: 5 * 1024 * 1024,
            public_url: None,
            bot_enabled: true,
            channel_wait_notice: true,
            csat_enabled: true,
            csat_delay_minutes: 10,
            csat_min_days_between: 7,
            nps_sample_percent: 10,
            staffing_aht_seconds: 360,
            staffing_target_seconds: 60,
            staffing_service_level_percent: 80,
            staffing_patience_seconds: 180,
            bot: edudesk_bot::BotSettings::default(),
            stun_urls: Vec::new(),
            turn_urls: Vec::new(),
            turn_secret: None,
            turn_ttl_seconds: 3600,
            call_relay_only: false,
            call_ring_seconds: 45,
            search_index_dir: None,
            channels: Vec::new(),
        }
    }
}

/// Command-line values that override everything else; `None` leaves the lower layers be.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub bind: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
}

/// Every `EDUDESK_*` variable the configuration reads (the README's table lists the same).
pub const ENV_VARIABLES: &[&str] = &[
    "BIND",
    "DATA_DIR",
    "DATABASE_URL",
    "PLATFORM_SECRET",
    "PLATFORM_API_KEY",
    "BODY_LIMIT_BYTES",
    "HEADER_READ_TIMEOUT_SECONDS",
    "BODY_READ_TIMEOUT_SECONDS",
    "LOGIN_FAILURES_PER_ACCOUNT",
    "LOGIN_ATTEMPTS_PER_IP",
    "PUBLIC_WRITES_PER_IP",
    "SECRET_KEY",
    "METRICS_TOKEN",
    "TRUSTED_PROXIES",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "INCIDENT_EMAILS",
    "STAFF_SESSION_HOURS",
    "LEARNER_SESSION_DAYS",
    "SESSION_CACHE_SECONDS",
    "SECURE_COOKIES",
    "DB_MAX_CONNECTIONS",
    "NATS_URL",
    "NATS_PREFIX",
    "TIME_ZONE",
    "BUSINESS_HOURS",
    "HOLIDAYS",
    "SLA_CHECK_SECONDS",
    "SLA_AUTO_ESCALATE",
    "CLOCK_OFFSET_SECONDS",
    "WS_HEARTBEAT_MS",
    "ATTACHMENT_MAX_BYTES",
    "WRITE_BATCH_MAX",
    "POSTGRES_WRITE_SHARDS",
    "SQLITE_SYNC_EVERY_COMMIT",
    "PUBLIC_URL",
    "BOT_ENABLED",
    "CHANNEL_WAIT_NOTICE",
    "CSAT_ENABLED",
    "CSAT_DELAY_MINUTES",
    "CSAT_MIN_DAYS_BETWEEN",
    "NPS_SAMPLE_PERCENT",
    "STAFFING_AHT_SECONDS",
    "STAFFING_TARGET_SECONDS",
    "STAFFING_SERVICE_LEVEL_PERCENT",
    "STAFFING_PATIENCE_SECONDS",
    "STUN_URLS",
    "TURN_URLS",
    "TURN_SECRET",
    "TURN_TTL_SECONDS",
    "CALL_RELAY_ONLY",
    "CALL_RING_SECONDS",
    "SEARCH_INDEX_DIR",
];

/// A comma-separated list of URLs, blanks dropped.
fn url_list(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|url| !url.is_empty()).map(str::to_owned).collect()
}

/// "unknown setting EDUDESK_X", with the nearest known name when one is close (a typo).
fn unknown_variable(name: &str) -> String {
    let distance = |a: &str, b: &str| {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.iter().enumerate() {
            let mut previous = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let current = row[j + 1];
                row[j + 1] = (previous + usize::from(ca != cb)).min(row[j] + 1).min(current + 1);
                previous = current;
            }
        }
        row[b.len()]
    };
    let nearest = ENV_VARIABLES.iter().map(|known| (distance(name, known), *known)).min();
    match nearest {
        Some((d, known)) if d <= 3 => format!("unknown setting EDUDESK_{name} (did you mean EDUDESK_{known}?)"),
        _ => format!("unknown setting EDUDESK_{name}; the settings are listed in README.md (Configuration)"),
    }
}

impl Config {
    /// Loads defaults, then `file` (if given), then the process environment, then `overrides`.
    pub fn load(file: Option<&std::path::Path>, overrides: Overrides) -> anyhow::Result<Config> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
                toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(std::env::vars())?;
        config.apply_overrides(overrides);
        config.validate()?;
        Ok(config)
    }

    /// Applies `EDUDESK_*` variables from `vars`.
    pub fn apply_env(&mut self, vars: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<()> {
        for (key, value) in vars {
            let Some(name) = key.strip_prefix("EDUDESK_") else { continue };
            let invalid = |what: &str| format!("{key} must be {what}");
            match name {
                "BIND" => self.bind = value.parse().with_context(|| invalid("an address such as 127.0.0.1:8080"))?,
                "DATA_DIR" => self.data_dir = PathBuf::from(value),
                "DATABASE_URL" => self.database_url = Some(Secret(value)),
                "PLATFORM_SECRET" => self.platform_secret = Some(Secret(value)),
                "PLATFORM_API_KEY" => self.platform_api_key = Some(Secret(value)).filter(|key| !key.expose().is_empty()),
                "BODY_LIMIT_BYTES" => self.body_limit_bytes = value.parse().with_context(|| invalid("a number of bytes"))?,
                "HEADER_READ_TIMEOUT_SECONDS" => self.header_read_timeout_seconds = value.parse().with_context(|| invalid("a number of seconds"))?,
                "BODY_READ_TIMEOUT_SECONDS" => self.body_read_timeout_seconds = value.parse().with_context(|| invalid("a number of seconds"))?,
                "LOGIN_FAILURES_PER_ACCOUNT" => self.login_failures_per_account = value.parse().with_context(|| invalid("a number"))?,
                "LOGIN_ATTEMPTS_PER_IP" => self.login_attempts_per_ip = value.parse().with_context(|| invalid("a number"))?,
                "PUBLIC_WRITES_PER_IP" => self.public_writes_per_ip = value.parse().with_context(|| invalid("a number"))?,
                "SECRET_KEY" => self.secret_key = Some(Secret(value)).filter(|key| !key.expose().is_empty()),
                "TRUSTED_PROXIES" => {
                    self.trusted_proxies = value
                        .split(',')
                        .map(str::trim)
                        .filter(|hop| !hop.is_empty())
                        .map(|hop| hop.parse().with_context(|| invalid("IP addresses separated by commas")))
                        .collect::<anyhow::Result<_>>()?
                }
                "WEBHOOK_URL" => self.webhook_url = Some(value).filter(|url| !url.is_empty()),
                "INCIDENT_EMAILS" => self.incident_emails = value.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect(),
                "WEBHOOK_SECRET" => self.webhook_secret = Some(Secret(value)).filter(|secret| !secret.expose().is_empty()),
                "METRICS_TOKEN" => self.metrics_token = Some(Secret(value)).filter(|token| !token.expose().is_empty()),
                "STAFF_SESSION_HOURS" => self.staff_session_hours = value.parse().with_context(|| invalid("a number of hours"))?,
                "LEARNER_SESSION_DAYS" => self.learner_session_days = value.parse().with_context(|| invalid("a number of days"))?,
                "SESSION_CACHE_SECONDS" => self.session_cache_seconds = value.parse().with_context(|| invalid("a number of seconds"))?,
                "SECURE_COOKIES" => self.secure_cookies = value.parse().with_context(|| invalid("true or false"))?,
                "DB_MAX_CONNECTIONS" => self.db_max_connections = value.parse().with_context(|| invalid("a number"))?,
                "NATS_URL" => self.nats_url = Some(Secret(value)).filter(|url| !url.expose().is_empty()),
                "NATS_PREFIX" => self.nats_prefix = value,
                "TIME_ZONE" => self.time_zone = value,
                "BUSINESS_HOURS" => self.business_hours = value,
                "HOLIDAYS" => self.holidays = value.split(',').map(str::trim).filter(|day| !day.is_empty()).map(str::to_owned).collect(),
                "SLA_CHECK_SECONDS" => self.sla_check_seconds = value.parse().with_context(|| invalid("a number of seconds"))?,
                "SLA_AUTO_ESCALATE" => self.sla_auto_escalate = value.parse().with_context(|| invalid("true or false"))?,
                "CLOCK_OFFSET_SECONDS" => self.clock_offset_seconds = value.parse().with_context(|| invalid("a number of seconds"))?,
                "WS_HEARTBEAT_MS" => self.ws_heartbeat_ms = value.parse().with_context(|| invalid("a number of milliseconds"))?,
                "ATTACHMENT_MAX_BYTES" => self.attachment_max_bytes = value.parse().with_context(|| invalid("a number of bytes"))?,
                "WRITE_BATCH_MAX" => self.write_batch_max = value.parse().with_context(|| invalid("a number"))?,
                "POSTGRES_WRITE_SHARDS" => self.postgres_write_shards = value.parse().with_context(|| invalid("a number"))?,
                "SQLITE_SYNC_EVERY_COMMIT" => self.sqlite_sync_every_commit = value.parse().with_context(|| invalid("true or false"))?,
                "PUBLIC_URL" => self.public_url = Some(value.trim_end_matches('/').to_owned()).filter(|url| !url.is_empty()),
                "BOT_ENABLED" => self.bot_enabled = value.parse().with_context(|| invalid("true or false"))?,
                "CHANNEL_WAIT_NOTICE" => self.channel_wait_notice = value.parse().with_context(|| invalid("true or false"))?,
                "CSAT_ENABLED" => self.csat_enabled = value.parse().with_context(|| invalid("true or false"))?,
                "CSAT_DELAY_MINUTES" => self.csat_delay_minutes = value.parse().with_context(|| invalid("a number of minutes"))?,
                "CSAT_MIN_DAYS_BETWEEN" => self.csat_min_days_between = value.parse().with_context(|| invalid("a number of days"))?,
                "STAFFING_AHT_SECONDS" => self.staffing_aht_seconds = value.parse().with_context(|| invalid("a number of seconds"))?,
                "STAFFING_TARGET_SECONDS" => self.staffing_target_seconds = value.parse().with_context(|| invalid("a number of seconds"))?,
                "STAFFING_SERVICE_LEVEL_PERCENT" => self.staffing_service_level_percent = value.parse().with_context(|| invalid("a percentage, 1 to 99"))?,
                "STAFFING_PATIENCE_SECONDS" => self.staffing_patience_seconds = value.parse().with_context(|| invalid("a number of seconds"))?,
                "NPS_SAMPLE_PERCENT" => self.nps_sample_percent = value.parse().with_context(|| invalid("a percentage, 0 to 100"))?,
                "STUN_URLS" => self.stun_urls = url_list(&value),
                "TURN_URLS" => self.turn_urls = url_list(&value),
                "TURN_SECRET" => self.turn_secret = Some(Secret(value)).filter(|secret| !secret.expose().is_empty()),
                "TURN_TTL_SECONDS" => self.turn_ttl_seconds = value.parse().with_context(|| invalid("a number of seconds"))?,
                "CALL_RELAY_ONLY" => self.call_relay_only = value.parse().with_context(|| invalid("true or false"))?,
                "CALL_RING_SECONDS" => self.call_ring_seconds = value.parse().with_context(|| invalid("a number of seconds"))?,
                "SEARCH_INDEX_DIR" => self.search_index_dir = Some(PathBuf::from(value)).filter(|dir| !dir.as_os_str().is_empty()),
                // The test suite's own settings (EDUDESK_TEST_*) are not the server's.
                other if other.starts_with("TEST_") => {}
                other => anyhow::bail!("{}", unknown_variable(other)),
            }
        }
        Ok(())
    }

    pub fn apply_overrides(&mut self, overrides: Overrides) {
        if let Some(bind) = overrides.bind {
            self.bind = bind;
        }
        if let Some(data_dir) = overrides.data_dir {
            self.data_dir = data_dir;
        }
        if let Some(url) = overrides.database_url {
            self.database_url = Some(Secret(url));
        }
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(url) = self.stun_urls.iter().find(|url| !(url.starts_with("stun:") || url.starts_with("stuns:"))) {
            bail!("stun_urls: {url} is not a stun: or stuns: URL");
        }
        if let Some(url) = self.turn_urls.iter().find(|url| !(url.starts_with("turn:") || url.starts_with("turns:"))) {
            bail!("turn_urls: {url} is not a turn: or turns: URL");
        }
        if !self.turn_urls.is_empty() && self.turn_secret.is_none() {
            bail!("turn_urls needs turn_secret (coturn's static-auth-secret)");
        }
        if self.call_relay_only && self.turn_urls.is_empty() {
            bail!("call_relay_only needs turn_urls (a relay to go through)");
        }
        if !(60..=86_400).contains(&self.turn_ttl_seconds) {
            bail!("turn_ttl_seconds must be 60 to 86400");
        }
        if !(5..=600).contains(&self.call_ring_seconds) {
            bail!("call_ring_seconds must be 5 to 600");
        }
        if self.nps_sample_percent > 100 {
            bail!("nps_sample_percent must be 0 to 100");
        }
        if !(1..=99).contains(&self.staffing_service_level_percent) {
            bail!("staffing_service_level_percent must be 1 to 99");
        }
        if self.staffing_aht_seconds == 0 || self.staffing_patience_seconds == 0 {
            bail!("staffing_aht_seconds and staffing_patience_seconds must be above 0");
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            anyhow::bail!("public_url must start with http:// or https://");
        }
        if let Some(url) = &self.webhook_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                bail!("webhook_url must start with http:// or https://");
            }
            if self.webhook_secret.is_none() {
                bail!("webhook_url needs webhook_secret (deliveries are signed)");
            }
        }
        for address in &self.incident_emails {
            edudesk_core::input::Email::parse(address).map_err(|error| anyhow::anyhow!("incident_emails: {error}"))?;
        }
        if self.body_limit_bytes < 1024 {
            bail!("body_limit_bytes must be at least 1024");
        }
        if self.staff_session_hours < 1 || self.learner_session_days < 1 {
            bail!("session lifetimes must be positive");
        }
        if self.nats_prefix.is_empty() || !self.nats_prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            bail!("nats_prefix must be letters, digits, - or _");
        }
        if self.db_max_connections < 1 || self.write_batch_max < 1 || self.postgres_write_shards < 1 {
            bail!("db_max_connections, write_batch_max and postgres_write_shards must be at least 1");
        }
        if self.header_read_timeout_seconds < 1 || self.body_read_timeout_seconds < 1 {
            bail!("header_read_timeout_seconds and body_read_timeout_seconds must be at least 1");
        }
        if self.login_failures_per_account < 1 || self.login_attempts_per_ip < 1 || self.public_writes_per_ip < 1 {
            bail!("login_failures_per_account, login_attempts_per_ip and public_writes_per_ip must be at least 1");
        }
        Ok(())
    }

    /// The SLA policy: default targets, counted in this configuration's business calendar.
    pub fn sla_policy(&self) -> anyhow::Result<edudesk_core::sla::SlaPolicy> {
        use chrono::NaiveTime;
        let time_zone: chrono_tz::Tz =
            self.time_zone.parse().map_err(|_| anyhow::anyhow!("time_zone: '{}' is not an IANA time zone such as Asia/Shanghai", self.time_zone))?;
        let (open, close) = self.business_hours.split_once('-').context("business_hours must look like 09:00-21:00")?;
        let parse = |text: &str| NaiveTime::parse_from_str(text.trim(), "%H:%M").with_context(|| format!("business_hours: '{text}' is not HH:MM"));
        let (open, close) = (parse(open)?, parse(close)?);
        if close <= open {
            bail!("business_hours: closing must come after opening on the same day (use 00:00-23:59 for around the clock)");
        }
        let hours = Some((open, close));
        let holidays = self
            .holidays
            .iter()
            .map(|day| chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").with_context(|| format!("holidays: '{day}' is not YYYY-MM-DD")))
            .collect::<anyhow::Result<_>>()?;
        let calendar = edudesk_core::sla::BusinessCalendar { time_zone, hours: [hours; 7], holidays };
        let mut policy = edudesk_core::sla::SlaPolicy { calendar, auto_escalate_on_breach: self.sla_auto_escalate, ..Default::default() };
        for (key, [first_response, resolution]) in &self.sla_targets {
            let parsed = key
                .strip_prefix('t')
                .and_then(|rest| rest.split_once('.'))
                .and_then(|(tier, priority)| Some((edudesk_core::Tier::new(tier.parse().ok()?)?, edudesk_core::Priority::parse(priority)?)));
            let (tier, priority) = parsed.with_context(|| format!("sla_targets: '{key}' is not t<1-3>.<low|normal|high|urgent>"))?;
            if *first_response < 1 || *resolution < *first_response || *resolution > edudesk_core::sla::MAX_TARGET_MINUTES {
                bail!("sla_targets.{key}: targets must be positive, resolution at least first response and at most a year of minutes");
            }
            policy.set_targets(tier, priority, edudesk_core::sla::Targets { first_response_minutes: *first_response, resolution_minutes: *resolution });
        }
        Ok(policy)
    }

    /// The category table: the built-in pyramid with this configuration's overrides.
    pub fn category_table(&self) -> anyhow::Result<edudesk_core::routing::CategoryTable> {
        let mut table = edudesk_core::routing::CategoryTable::default();
        for (category, level) in &self.categories {
            let tier = edudesk_core::Tier::new(*level).with_context(|| format!("categories.{category} must be tier 1, 2 or 3"))?;
            let keywords = edudesk_core::routing::DEFAULT_CATEGORIES
                .iter()
                .find(|(known, ..)| known == category)
                .map(|(_, _, keywords)| keywords.iter().map(|k| (*k).to_owned()).collect())
                .unwrap_or_default();
            table.set(category, tier, keywords);
        }
        Ok(table)
    }

    /// The database URL in force: the configured one, or SQLite inside the data directory.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!("sqlite://{}", self.data_dir.join("edudesk.db").display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_defaults_and_flags_override_env() {
        let mut config = Config::default();
        let vars = [("EDUDESK_BIND", "0.0.0.0:9000"), ("EDUDESK_DATA_DIR", "/tmp/x"), ("PATH", "/bin")];
        config.apply_env(vars.map(|(k, v)| (k.to_owned(), v.to_owned()))).map_err(|e| e.to_string()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.bind.port(), 9000);
        config.apply_overrides(Overrides { bind: Some(SocketAddr::from(([127, 0, 0, 1], 1))), ..Overrides::default() });
        assert_eq!(config.bind.port(), 1);
        assert_eq!(config.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(config.effective_database_url(), "sqlite:///tmp/x/edudesk.db");
    }

    #[test]
    fn bad_env_values_are_reported_by_name() {
        let mut config = Config::default();
        let error = config.apply_env([("EDUDESK_BIND".to_owned(), "nowhere".to_owned())]).err().map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some("EDUDESK_BIND must be an address such as 127.0.0.1:8080"));
    }

    /// Writer tasks on PostgreSQL come from the setting; none at all is refused.
    #[test]
    fn postgres_write_shards_are_set_and_checked() {
        let mut config = Config::default();
        assert_eq!(config.postgres_write_shards, 2);
        config.apply_env([("EDUDESK_POSTGRES_WRITE_SHARDS".to_owned(), "6".to_owned())]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.postgres_write_shards, 6);
        config.postgres_write_shards = 0;
        let error = config.validate().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("postgres_write_shards must be at least 1"), "{error}");
    }

    #[test]
    fn unknown_variables_are_refused_by_name_and_test_variables_pass() {
        let mut config = Config::default();
        let error = config.apply_env([("EDUDESK_BODY_LIMIT_BYTE".to_owned(), "5".to_owned())]).err().map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some("unknown setting EDUDESK_BODY_LIMIT_BYTE (did you mean EDUDESK_BODY_LIMIT_BYTES?)"));
        assert!(config.apply_env([("EDUDESK_TEST_POSTGRES_URL".to_owned(), "x".to_owned())]).is_ok());
        // Every listed variable is read (a value of the wrong type is refused, never "unknown").
        for name in ENV_VARIABLES {
            let outcome = Config::default().apply_env([(format!("EDUDESK_{name}"), "not-a-valid-value".to_owned())]);
            assert!(outcome.err().is_none_or(|e| !e.to_string().contains("unknown")), "{name}");
        }
    }

    #[test]
    fn the_readme_documents_exactly_the_variables_read() {
        let readme = include_str!("../../../README.md");
        let mut documented: Vec<&str> = readme
            .match_indices("`EDUDESK_")
            .filter_map(|(at, _)| readme[at + 9..].split('`').next())
            .filter(|name| !name.starts_with("TEST_") && name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            .collect();
        documented.sort_unstable();
        documented.dedup();
        let mut read: Vec<&str> = ENV_VARIABLES.to_vec();
        read.sort_unstable();
        assert_eq!(documented, read, "README's configuration tables and Config::apply_env disagree");
    }

    /// The fields of `Config` as its source declares them: (name, Rust type, doc comment).
    fn config_fields() -> Vec<(String, String, String)> {
        let source = include_str!("config.rs");
        let body = source.split("pub struct Config {").nth(1).and_then(|rest| rest.split("\n}\n").next()).unwrap_or_default();
        let mut fields = Vec::new();
        let mut doc: Vec<&str> = Vec::new();
        for line in body.lines().map(str::trim) {
            if let Some(text) = line.strip_prefix("///") {
                doc.push(text.trim());
            } else if let Some((name, kind)) = line.strip_prefix("pub ").and_then(|field| field.split_once(':')) {
                fields.push((name.trim().to_owned(), kind.trim().trim_end_matches(',').to_owned(), doc.join(" ")));
                doc.clear();
            }
        }
        fields
    }

    /// `docs/config.md`, generated from the `Config` struct: every setting of the file, its
    /// variable (or "file only"), its type and its doc comment.
    fn config_reference() -> String {
        let mut out = String::from(
            "# Configuration reference\n\n<!-- Generated from `crates/server/src/config.rs` by the unit test \
             `config::tests::the_config_reference_is_generated_from_the_struct`; regenerate with \
             `EDUDESK_TEST_WRITE_DOCS=1 cargo test -p edudesk --lib config`. -->\n\n\
             Settings come from built-in defaults, then the TOML file given with `--config`, then `EDUDESK_*`\n\
             variables, then command-line flags. An unknown key in the file or an unknown `EDUDESK_*` variable\n\
             stops the start with its name. Defaults are in README.md (Configuration).\n\n\
             | file key | environment variable | type | meaning |\n| --- | --- | --- | --- |\n",
        );
        for (name, kind, doc) in config_fields() {
            let variable = name.to_ascii_uppercase();
            let variable = if ENV_VARIABLES.contains(&variable.as_str()) { format!("`EDUDESK_{variable}`") } else { "file only".to_owned() };
            out.push_str(&format!("| `{name}` | {variable} | `{}` | {} |\n", kind.replace('|', "\\|"), doc.replace('|', "\\|")));
        }
        out
    }

    #[test]
    fn the_config_reference_is_generated_from_the_struct() {
        let fields = config_fields();
        assert!(fields.len() >= 40, "the Config struct was not found in its source: {fields:?}");
        // Every variable names a field of the struct, and every field without one is file-only on purpose.
        let names: Vec<String> = fields.iter().map(|(name, ..)| name.to_ascii_uppercase()).collect();
        for variable in ENV_VARIABLES {
            assert!(names.iter().any(|name| name == variable), "EDUDESK_{variable} sets no field of Config");
        }
        let file_only: Vec<&String> = names.iter().filter(|name| !ENV_VARIABLES.contains(&name.as_str())).collect();
        assert_eq!(file_only, ["CATEGORIES", "SLA_TARGETS", "DEMO", "BOT", "CHANNELS"], "a new setting needs an EDUDESK_ variable or a reason");
        for (name, _, doc) in &fields {
            assert!(!doc.is_empty(), "Config::{name} has no doc comment to put in the reference");
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/config.md");
        let generated = config_reference();
        if std::env::var_os("EDUDESK_TEST_WRITE_DOCS").is_some() {
            std::fs::write(&path, &generated).unwrap_or_else(|error| panic!("writing {}: {error}", path.display()));
        }
        let written = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            written == generated,
            "docs/config.md is not what config.rs says; regenerate it with EDUDESK_TEST_WRITE_DOCS=1 cargo test -p edudesk --lib config"
        );
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let config = Config { database_url: Some(Secret::new("postgres://u:hunter2@db/x")), platform_secret: Some(Secret::new("s3cret")), ..Config::default() };
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2") && !printed.contains("s3cret"), "{printed}");
    }

    #[test]
    fn sla_settings_come_from_the_file() {
        let config: Config =
            toml::from_str("time_zone = 'Europe/Berlin'\nholidays = ['2026-12-25']\n[sla_targets]\n\"t2.high\" = [20, 300]").unwrap_or_default();
        let policy = config.sla_policy().map_err(|e| e.to_string());
        let targets = policy.map(|policy| policy.targets_for(edudesk_core::Tier::TWO, edudesk_core::Priority::High));
        assert_eq!(targets.map(|t| (t.first_response_minutes, t.resolution_minutes)), Ok((20, 300)));
        let bad: Config = toml::from_str("[sla_targets]\n\"t9.high\" = [20, 300]").unwrap_or_default();
        assert!(bad.sla_policy().is_err());
        let zone = Config { time_zone: "Mars/Olympus".to_owned(), ..Config::default() };
        assert!(zone.sla_policy().is_err());
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        assert!(toml::from_str::<Config>("bnid = '1.2.3.4:5'").is_err());
        let config: Config = toml::from_str("bind = '127.0.0.1:7000'\nbody_limit_bytes = 2048").unwrap_or_default();
        assert_eq!(config.bind.port(), 7000);
    }

    #[test]
    fn channels_come_from_the_file_with_their_secrets_hidden() {
        let text =
            "[[channels]]\nkind = 'social'\nname = 'partner'\nsettings = { outbound_url = 'https://partner.example/hook' }\nsecrets = { secret = 's3cr3t' }\n";
        let config: Config = toml::from_str(text).unwrap_or_default();
        assert_eq!(config.channels.len(), 1);
        assert_eq!(config.channels[0].settings["outbound_url"], "https://partner.example/hook");
        assert_eq!(config.channels[0].secrets["secret"].expose(), "s3cr3t");
        assert!(!format!("{config:?}").contains("s3cr3t"), "secrets never reach Debug output");
    }
}
