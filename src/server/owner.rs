//! Who runs the server: `initdb` and `postgres` refuse to run as root, so as root they run as
//! an unprivileged user who is given the files.

use std::path::Path;

use nix::unistd::{Gid, Uid, User, chown, geteuid};
use walkdir::WalkDir;

use super::ServerError;

/// The account the server processes run as.
#[derive(Debug, Clone)]
pub struct ServerOwner {
    /// Set when we are root and must switch to this user.
    pub switch_to: Option<(Uid, Gid, String)>,
}

impl ServerOwner {
    /// Ourselves when not root; otherwise `user` (default `postgres`).
    pub fn resolve(user: Option<&str>) -> Result<Self, ServerError> {
        if !geteuid().is_root() {
            return Ok(ServerOwner { switch_to: None });
        }
        let name = user.unwrap_or("postgres");
        let found = User::from_name(name).ok().flatten().ok_or_else(|| ServerError::NoServerUser(name.to_string()))?;
        Ok(ServerOwner { switch_to: Some((found.uid, found.gid, name.to_string())) })
    }

    /// Gives `path` and everything below it to the server user.
    pub fn give(&self, path: &Path) -> Result<(), ServerError> {
        let Some((uid, gid, _)) = &self.switch_to else {
            return Ok(());
        };
        for entry in WalkDir::new(path) {
            let entry = entry.map_err(|e| ServerError::io(path, e.into()))?;
            chown(entry.path(), Some(*uid), Some(*gid)).map_err(|e| ServerError::io(entry.path(), e.into()))?;
        }
        Ok(())
    }

    /// Makes `command` run as the server user.
    pub fn apply(&self, command: &mut std::process::Command) {
        use std::os::unix::process::CommandExt;
        if let Some((uid, gid, name)) = &self.switch_to {
            command.uid(uid.as_raw()).gid(gid.as_raw()).env("USER", name).env("HOME", "/tmp");
        }
    }

    /// A name for cache keys: the uid the files belong to.
    pub fn uid(&self) -> u32 {
        self.switch_to.as_ref().map_or(geteuid(), |(uid, _, _)| *uid).as_raw()
    }
}
