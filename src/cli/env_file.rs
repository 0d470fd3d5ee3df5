//! `.env` files, read before the command line is parsed (as dbmate does) so their variables
//! can supply `DATABASE_URL` and the `DBMATE_*` settings. Existing variables win.

use std::ffi::OsString;
use std::path::PathBuf;

/// The `--env-file` values in `args` (default `.env`), found before clap parses them.
pub fn env_files(args: &[OsString]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut iter = args.iter().map(|a| a.to_string_lossy());
    while let Some(arg) = iter.next() {
        if arg == "--" {
            break;
        }
        if let Some(value) = arg.strip_prefix("--env-file=") {
            files.push(PathBuf::from(value));
        } else if arg == "--env-file" {
            if let Some(value) = iter.next() {
                files.push(PathBuf::from(value.as_ref()));
            }
        }
    }
    if files.is_empty() {
        files.push(PathBuf::from(".env"));
    }
    files
}

/// Loads each file that exists; a file that exists but cannot be read is an error.
pub fn load(files: &[PathBuf]) -> Result<(), String> {
    for file in files.iter().filter(|f| f.exists()) {
        dotenvy::from_path(file).map_err(|e| format!("loading env file {}: {e}", file.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_env_files_anywhere_before_a_double_dash() {
        let args: Vec<OsString> =
            ["squashmate", "--env-file", "a.env", "up", "--env-file=b.env", "--", "--env-file", "c"].iter().map(OsString::from).collect();
        assert_eq!(env_files(&args), [PathBuf::from("a.env"), PathBuf::from("b.env")]);
        assert_eq!(env_files(&[OsString::from("squashmate")]), [PathBuf::from(".env")]);
    }
}
