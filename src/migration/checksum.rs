//! The one checksum every part of squashmate agrees on: blake3 over normalised text, so that a
//! BOM or CRLF line endings added by an editor are not counted as edits.

/// Text as checksummed: a leading UTF-8 BOM removed and CRLF turned into LF.
pub fn normalise(text: &str) -> String {
    text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n")
}

/// blake3 of the normalised text, as lowercase hex.
pub fn checksum(text: &str) -> String {
    blake3::hash(normalise(text).as_bytes()).to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_and_crlf_do_not_change_the_checksum() {
        let plain = "-- migrate:up\nselect 1;\n-- migrate:down\n";
        let windows = "\u{feff}-- migrate:up\r\nselect 1;\r\n-- migrate:down\r\n";
        assert_eq!(checksum(plain), checksum(windows));
        assert_ne!(checksum(plain), checksum("-- migrate:up\nselect 2;\n-- migrate:down\n"));
    }
}
