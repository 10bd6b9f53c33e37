//! The small cryptographic pieces everything else builds on: argon2id password hashes
//! (on blocking threads), random tokens and their stored hashes, and HMAC-SHA256 signatures
//! (the platform's learner signatures, signed webhooks both ways), compared in constant time,
//! and coturn's TURN credentials.
//!
//! This is the lowest layer of the server: it depends on no other module.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use edudesk_core::input::Password;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Hashes a password with argon2id on a blocking thread (it takes tens of milliseconds).
pub async fn hash_password(password: Password) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| anyhow::anyhow!("hashing a password: {error}"))
    })
    .await
    .map_err(anyhow::Error::from)?
}

/// Checks a password against a stored hash on a blocking thread.
pub async fn verify_password(password: String, hash: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|error| anyhow::anyhow!("stored password hash is invalid: {error}"))?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(anyhow::Error::from)?
}

/// A new random token: 32 bytes from the OS generator, hex-encoded.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database stores for a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The signature the education platform computes for a learner id:
/// lowercase hex HMAC-SHA256(platform secret, learner_id).
pub fn learner_signature(secret: &str, learner_id: &str) -> String {
    hmac_hex(secret, learner_id.as_bytes())
}

/// Lowercase hex HMAC-SHA256 of `data` with `secret` (learner ids, signed webhooks).
pub fn hmac_hex(secret: &str, data: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a learner signature in constant time. Malformed hex is simply wrong.
/// TURN credentials in coturn's shared-secret scheme: base64(HMAC-SHA1(secret, user name)).
/// (SHA-1 because coturn's `use-auth-secret` defines it so; the user name carries the expiry.)
pub fn turn_password(secret: &str, username: &str) -> String {
    use base64::Engine;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub fn verify_learner_signature(secret: &str, learner_id: &str, signature: &str) -> bool {
    let Ok(given) = hex::decode(signature.trim()) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(learner_id.as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// Compares secrets without leaking where they differ through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learner_signatures_verify_only_with_the_right_secret_and_id() {
        let signature = learner_signature("demo-platform-secret", "L1001");
        assert_eq!(signature.len(), 64);
        assert!(signature.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert!(verify_learner_signature("demo-platform-secret", "L1001", &signature));
        assert!(!verify_learner_signature("demo-platform-secret", "L1002", &signature));
        assert!(!verify_learner_signature("other-secret", "L1001", &signature));
        assert!(!verify_learner_signature("demo-platform-secret", "L1001", "zz-not-hex"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
