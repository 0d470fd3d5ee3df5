//! An existing server given by URL: squashmate creates uniquely named scratch databases on it
//! and always drops them again, also on Ctrl-C.

use std::collections::BTreeSet;
use std::sync::Mutex;

use super::cleanup::{CleanupGuard, on_interrupt};
use super::{ConnectInfo, ServerError};

/// A server we do not own; only our scratch databases are ours.
#[derive(Debug)]
pub struct ExistingServer {
    info: ConnectInfo,
    maintenance_db: String,
    scratch: Mutex<Vec<(String, CleanupGuard)>>,
    /// The roles the server had when squashmate came (`None` until read).
    roles_before: Mutex<Option<BTreeSet<String>>>,
    /// Roles squashmate's databases may have created (made for a chain, or made by it).
    noted_roles: Mutex<BTreeSet<String>>,
}

impl ExistingServer {
    /// Reads the server from a `postgres://` URL (its database is used for maintenance).
    pub fn from_url(url: &str) -> Result<Self, ServerError> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| ServerError::BadUrl(format!("{e}")))?;
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let info = ConnectInfo {
            host,
            port: config.get_ports().first().copied().unwrap_or(5432),
            user: config.get_user().unwrap_or("postgres").to_string(),
            password: config.get_password().map(|p| String::from_utf8_lossy(p).into_owned()),
        };
        let maintenance_db = config.get_dbname().unwrap_or("postgres").to_string();
        Ok(ExistingServer {
            info,
            maintenance_db,
            scratch: Mutex::new(Vec::new()),
            roles_before: Mutex::new(None),
            noted_roles: Mutex::new(BTreeSet::new()),
        })
    }

    /// How to reach it.
    pub fn connect_info(&self) -> ConnectInfo {
        self.info.clone()
    }

    /// The database to connect to for `CREATE DATABASE`.
    pub fn maintenance_db(&self) -> &str {
        &self.maintenance_db
    }

    /// Remembers a scratch database so it is dropped later, even on Ctrl-C.
    pub fn track(&self, name: &str) {
        let info = self.info.clone();
        let (maintenance, db) = (self.maintenance_db.clone(), name.to_string());
        let guard = on_interrupt(move || drop_blocking(&info, &maintenance, &[db], &[]));
        self.scratch.lock().unwrap_or_else(|p| p.into_inner()).push((name.to_string(), guard));
    }

    /// Remembers the roles the server has before squashmate makes any.
    pub fn set_roles_before(&self, roles: BTreeSet<String>) {
        *self.roles_before.lock().unwrap_or_else(|p| p.into_inner()) = Some(roles);
    }

    /// Remembers roles a scratch database may create: those the server did not have before
    /// are dropped with the scratch databases.
    pub fn note_roles(&self, roles: impl IntoIterator<Item = String>) {
        self.noted_roles.lock().unwrap_or_else(|p| p.into_inner()).extend(roles);
    }

    /// The noted roles the server did not have before (none when that is not known).
    fn roles_made_here(&self) -> Vec<String> {
        let before = self.roles_before.lock().unwrap_or_else(|p| p.into_inner());
        let Some(before) = before.as_ref() else { return Vec::new() };
        self.noted_roles.lock().unwrap_or_else(|p| p.into_inner()).iter().filter(|r| !before.contains(*r)).cloned().collect()
    }
}

impl Drop for ExistingServer {
    fn drop(&mut self) {
        let names: Vec<String> = self.scratch.lock().unwrap_or_else(|p| p.into_inner()).drain(..).map(|(n, _)| n).collect();
        let roles = self.roles_made_here();
        if !names.is_empty() || !roles.is_empty() {
            drop_blocking(&self.info, &self.maintenance_db, &names, &roles);
        }
    }
}

/// Drops databases, then roles squashmate made, from a plain thread with its own runtime (we
/// may be inside one already).
fn drop_blocking(info: &ConnectInfo, maintenance_db: &str, names: &[String], roles: &[String]) {
    let config = info.config(maintenance_db);
    let (names, roles) = (names.to_vec(), roles.to_vec());
    let worker = std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        runtime.block_on(async move {
            let Ok((client, connection)) = config.connect(tokio_postgres::NoTls).await else { return };
            tokio::spawn(connection);
            for name in names {
                let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", crate::sql::quote_ident(&name));
                if let Err(e) = client.batch_execute(&sql).await {
                    eprintln!("warning: could not drop scratch database {name}: {e}; drop it by hand");
                }
            }
            for role in roles {
                let sql = format!("DROP ROLE IF EXISTS {}", crate::sql::quote_ident(&role));
                if let Err(e) = client.batch_execute(&sql).await {
                    eprintln!("warning: could not drop role {role}, made on this server for a replay: {e}; drop it by hand");
                }
            }
        });
    });
    let _ = worker.join();
}
