//! Channel secrets at rest (tokens, API keys, mailbox passwords): sealed with
//! ChaCha20-Poly1305 under a key from the configuration (`secret_key`, hashed to 256 bits)
//! or, without one, a key generated once in `<data_dir>/secret.key`. A sealed value is
//! `enc:v1:` + base64(nonce ‖ ciphertext ‖ tag); a value without the prefix is a plaintext
//! one from before encryption and is sealed at the next start.

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::Digest;

use super::error::{StoreError, StoreResult};

const PREFIX: &str = "enc:v1:";

/// Seals and opens secrets; without a key it refuses both (the CLI paths that never touch
/// channels run without one).
pub struct SecretCipher {
    key: Option<LessSafeKey>,
}

impl std::fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretCipher").field("key", &self.key.as_ref().map(|_| "[redacted]")).finish()
    }
}

impl SecretCipher {
    /// A cipher keyed by SHA-256 of `material`.
    pub fn new(material: &[u8]) -> SecretCipher {
        let digest = sha2::Sha256::digest(material);
        let key = UnboundKey::new(&CHACHA20_POLY1305, digest.as_slice()).ok().map(LessSafeKey::new);
        SecretCipher { key }
    }

    pub fn without_key() -> SecretCipher {
        SecretCipher { key: None }
    }

    /// The configured key, or the node's key file (made on first use).
    pub fn from_config(secret_key: Option<&str>, data_dir: &Path) -> anyhow::Result<SecretCipher> {
        if let Some(material) = secret_key {
            return Ok(SecretCipher::new(material.as_bytes()));
        }
        let path = data_dir.join("secret.key");
        let material = match std::fs::read_to_string(&path) {
            Ok(text) => text.trim().to_owned(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
                let material = hex::encode(rand::random::<[u8; 32]>());
                write_private(&path, &material).with_context(|| format!("writing {}", path.display()))?;
                tracing::info!(path = %path.display(), "generated the key that encrypts channel secrets; set secret_key on every node of a cluster");
                material
            }
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        };
        Ok(SecretCipher::new(material.as_bytes()))
    }

    fn key(&self) -> StoreResult<&LessSafeKey> {
        self.key.as_ref().ok_or_else(|| StoreError::Internal(anyhow::anyhow!("no key for channel secrets is configured")))
    }

    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }

    pub fn seal(&self, plaintext: &str) -> StoreResult<String> {
        let key = self.key()?;
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let mut data = plaintext.as_bytes().to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce_bytes), Aad::empty(), &mut data)
            .map_err(|_| StoreError::Internal(anyhow::anyhow!("sealing a secret failed")))?;
        let mut sealed = nonce_bytes.to_vec();
        sealed.extend_from_slice(&data);
        Ok(format!("{PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(sealed)))
    }

    /// The plaintext of a stored value (a legacy plaintext value as it is).
    pub fn open(&self, stored: &str) -> StoreResult<String> {
        let Some(encoded) = stored.strip_prefix(PREFIX) else { return Ok(stored.to_owned()) };
        let wrong = || StoreError::Internal(anyhow::anyhow!("a channel secret cannot be decrypted: secret_key is not the key it was sealed with"));
        let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|_| wrong())?;
        if bytes.len() < NONCE_LEN {
            return Err(wrong());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| wrong())?;
        let mut sealed = sealed.to_vec();
        let plain = self.key()?.open_in_place(nonce, Aad::empty(), &mut sealed).map_err(|_| wrong())?;
        String::from_utf8(plain.to_vec()).map_err(|_| wrong())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_with_the_same_key_only() {
        let cipher = SecretCipher::new(b"key one");
        let sealed = cipher.seal(r#"{"token":"abc"}"#).unwrap();
        assert!(sealed.starts_with("enc:v1:") && !sealed.contains("abc"));
        assert_ne!(sealed, cipher.seal(r#"{"token":"abc"}"#).unwrap(), "a fresh nonce every time");
        assert_eq!(cipher.open(&sealed).unwrap(), r#"{"token":"abc"}"#);
        assert!(SecretCipher::new(b"key two").open(&sealed).is_err());
        assert!(cipher.open("enc:v1:!!").is_err());
        assert_eq!(cipher.open("{}").unwrap(), "{}", "legacy plaintext passes");
        assert!(SecretCipher::without_key().seal("x").is_err());
    }
}
